/**
 * The worker side of crl-acceptance-off-thread.ts: runs acceptCrl on one CRL and posts back what it
 * accepted, or the refusal's code and message. Nothing else lives in this thread.
 */
import { X509Certificate } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { GatewayError } from '../../errors/index.ts';
import { acceptCrl } from '../../pki/crl-acceptance.ts';
import type { CrlJob, CrlJobResult } from './crl-acceptance-off-thread.ts';

const job = workerData as CrlJob;
const inForce = new Map(job.inForce.map(([issuer, number]) => [issuer, BigInt(number)]));

function reply(result: CrlJobResult): void {
  parentPort?.postMessage(result);
}

acceptCrl({
  der: job.der,
  cas: job.caPems.map((pem) => new X509Certificate(pem)),
  inForce: (issuer) => inForce.get(issuer),
  now: new Date(job.nowMs),
}).then(
  (accepted) =>
    reply({
      ok: true,
      accepted: {
        ...accepted,
        crlNumber: accepted.crlNumber.toString(),
        thisUpdate: accepted.thisUpdate.getTime(),
        nextUpdate: accepted.nextUpdate.getTime(),
      },
    }),
  (error: unknown) =>
    reply({
      ok: false,
      code: error instanceof GatewayError ? error.code : undefined,
      message: error instanceof Error ? error.message : String(error),
    }),
);
