/**
 * acceptCrlOffThread: acceptCrl (pki/crl-acceptance.ts) for CRLs large enough to matter, in a worker
 * thread. Parsing a CRL with asn1js costs about a second per 30,000 entries (measured: 1.1 s for
 * 10,000, 9.4 s for 100,000 on one core), and the event loop it would block is the one the data
 * plane answers requests on. Small CRLs (under OFF_THREAD_BYTES, a couple of thousand entries and
 * tens of milliseconds) are checked in place: a thread costs more than that to start.
 *
 * The worker gets plain data (the DER, the CA certificates' PEM, the CRL numbers in force as
 * decimal text) and answers with the accepted CRL or the refusal's code and message, which is
 * turned back into the same GatewayError here.
 */
import {
  GW_ERR_CRL_INVALID,
  GW_ERR_CRL_OUTDATED,
  GW_ERR_CRL_STALE,
  GW_ERR_CRL_WRONG_SIGNER,
  GatewayError,
  type ErrorDefinition,
} from '../../errors/index.ts';
import { runInWorker, workerModule } from '../worker-thread.ts';
import { acceptCrl, type AcceptCrlInput, type AcceptedCrl } from '../../pki/crl-acceptance.ts';

export const OFF_THREAD_BYTES = 64 * 1024;

/** What the worker is given. */
export interface CrlJob {
  readonly der: Uint8Array;
  readonly caPems: readonly string[];
  readonly inForce: readonly (readonly [string, string])[];
  readonly nowMs: number;
}

export type CrlJobResult =
  | {
      readonly ok: true;
      readonly accepted: Omit<AcceptedCrl, 'crlNumber' | 'thisUpdate' | 'nextUpdate'> & {
        crlNumber: string;
        thisUpdate: number;
        nextUpdate: number;
      };
    }
  | { readonly ok: false; readonly code: string | undefined; readonly message: string };

const REFUSALS: ReadonlyMap<string, ErrorDefinition> = new Map(
  [GW_ERR_CRL_INVALID, GW_ERR_CRL_OUTDATED, GW_ERR_CRL_STALE, GW_ERR_CRL_WRONG_SIGNER].map((d) => [d.code, d]),
);

const WORKER = workerModule('crl-acceptance-worker', import.meta.url);

/** As AcceptCrlInput, with the CRL numbers in force as a map (a function cannot cross to a thread). */
export type OffThreadCrlInput = Omit<AcceptCrlInput, 'inForce'> & {
  readonly inForce: ReadonlyMap<string, bigint>;
};

/** `module`: the worker's module, the one beside this file unless told (a test of the bundled build). */
export async function acceptCrlOffThread(input: OffThreadCrlInput, module: URL = WORKER): Promise<AcceptedCrl> {
  if (input.der.byteLength < OFF_THREAD_BYTES) {
    return acceptCrl({ ...input, inForce: (issuer) => input.inForce.get(issuer) });
  }
  const job: CrlJob = {
    der: input.der,
    caPems: input.cas.map((ca) => ca.toString()),
    inForce: [...input.inForce].map(([issuer, number]) => [issuer, number.toString()] as const),
    nowMs: input.now.getTime(),
  };
  const result = await runInWorker<CrlJobResult>(module, job, 'CRL check');
  if (result.ok) {
    return {
      ...result.accepted,
      crlNumber: BigInt(result.accepted.crlNumber),
      thisUpdate: new Date(result.accepted.thisUpdate),
      nextUpdate: new Date(result.accepted.nextUpdate),
    };
  }
  const definition = result.code === undefined ? undefined : REFUSALS.get(result.code);
  throw definition === undefined ? new Error(result.message) : new GatewayError(definition, result.message);
}
