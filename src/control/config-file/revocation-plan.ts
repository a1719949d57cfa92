/**
 * planCaRevocations: the writes that make an account's uploaded CAs and its block list say what the
 * config file's `cas[].revocation` and `blocked_certificates` say (docs/reference/config-file.md,
 * docs/adr/0014). Reads only; every check (settings, the CRL against its CA and its dates, block
 * entries) happens here, before the first write.
 *
 *   settings   exactly the file's (a key left out: its default); written only when they differ
 *   crl        uploaded when the store has no CRL of that issuer, or an older one; a CRL in force
 *              that is as new or newer (fetched since, say) is kept. Never deleted by the file
 *   blocked    the CA's (or account's) whole list; rewritten only when it differs
 * A CA without `revocation:`, and an account without `blocked_certificates:`, are left alone.
 */
import { isDeepStrictEqual } from 'node:util';
import { GatewayError } from '../../errors/index.ts';
import type { LoadedAccount, LoadedCa } from '../../config/load-gateway-config.ts';
import type { LoadedBlock } from '../../config/load-revocation-files.ts';
import { configInvalid, excerpt } from '../../config/yaml-cursor.ts';
import { acceptCrlOffThread } from '../revocation/crl-acceptance-off-thread.ts';
import type { CertificateBlockRecord } from '../../store/ca-revocation-records.ts';
import type { MtlsCertificateRecord } from '../../model/records.ts';
import {
  applySettingsPatch,
  DEFAULT_CA_REVOCATION_SETTINGS,
  readBlockInput,
  settingsWire,
  type CertificateBlockInput,
} from '../revocation/ca-revocation-input.ts';
import { bundleCaCertificates } from '../revocation/ca-revocation-service.ts';
import { refusedAt, ResolvedIds, validated, type PlanContext, type PlannedWrite } from './plan-parts.ts';

export async function planCaRevocations(
  account: LoadedAccount,
  storedCas: readonly MtlsCertificateRecord[],
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const writes: PlannedWrite[] = [];
  for (const ca of account.cas) {
    if (ca.revocation === undefined) continue;
    const stored = storedCas.find((record) => record.fingerprintSha256 === ca.fingerprintSha256);
    writes.push(...(await planCa(account, ca, stored, context)));
  }
  return writes;
}

/** The account's own list (`blocked_certificates`), after its CAs. */
export async function planAccountBlocks(
  account: LoadedAccount,
  accountId: string | undefined,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const declared = account.blockedCertificates;
  if (declared === undefined) return [];
  const { services, principal, ids } = context;
  const desired = desiredBlocks(declared.value);
  const stored = accountId === undefined ? [] : await services.caRevocation.listBlocks(principal, accountId, undefined);
  const write = blocksWrite(context, `account ${account.name}: blocked certificates`, desired, stored, () => ({
    accountId: ids.get(ResolvedIds.accountKey(account.name)),
    scope: undefined,
  }));
  return write === undefined ? [] : [write];
}

async function planCa(
  account: LoadedAccount,
  ca: LoadedCa,
  stored: MtlsCertificateRecord | undefined,
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const revocation = ca.revocation;
  if (revocation === undefined) return [];
  const { services, principal, ids } = context;
  const target = `account ${account.name}: CA ${ca.name}`;
  const accountId = (): string => ids.get(ResolvedIds.accountKey(account.name));
  const caId = (): string => ids.get(ResolvedIds.caKey(account.name, ca.fingerprintSha256));
  const writes: PlannedWrite[] = [];

  const desired = validated(revocation.where, () =>
    applySettingsPatch(DEFAULT_CA_REVOCATION_SETTINGS, revocation.settings),
  );
  const current =
    stored === undefined
      ? DEFAULT_CA_REVOCATION_SETTINGS
      : (await services.caRevocation.getSettings(principal, stored.accountId, stored.id)).settings;
  if (!isDeepStrictEqual(desired, current)) {
    writes.push({
      kind: 'ca_revocation',
      target: `${target}: revocation settings`,
      run: async () => {
        await services.caRevocation.updateSettings(principal, accountId(), caId(), settingsWire(desired));
      },
    });
  }

  const crl = revocation.crl;
  if (crl !== undefined) {
    let accepted;
    try {
      accepted = await acceptCrlOffThread({
        der: crl.der,
        cas: bundleCaCertificates({ certificatesPem: ca.certificatesPem } as MtlsCertificateRecord),
        inForce: new Map(),
        now: context.now,
      });
    } catch (error) {
      if (error instanceof GatewayError) throw refusedAt(crl.where, error);
      throw error;
    }
    const inForce =
      stored === undefined ? [] : await services.caRevocation.listCrls(principal, stored.accountId, stored.id);
    const current = inForce.find((record) => record.issuerFingerprint === accepted.issuerFingerprint256);
    if (current === undefined || BigInt(current.crlNumber) < accepted.crlNumber) {
      writes.push({
        kind: 'crl',
        target: `${target}: CRL ${accepted.crlNumber}`,
        run: async () => {
          await services.caRevocation.uploadCrl(principal, accountId(), caId(), crl.der.toString('base64'));
        },
      });
    }
  }

  const storedBlocks =
    stored === undefined ? [] : await services.caRevocation.listBlocks(principal, stored.accountId, stored.id);
  const write = blocksWrite(
    context,
    `${target}: blocked certificates`,
    desiredBlocks(revocation.blocked),
    storedBlocks,
    () => ({
      accountId: accountId(),
      scope: caId(),
    }),
  );
  if (write !== undefined) writes.push(write);
  return writes;
}

/** Checked entries; the same certificate twice in one list is refused at its second place. */
function desiredBlocks(blocks: readonly LoadedBlock[]): CertificateBlockInput[] {
  const seen = new Map<string, string>();
  return blocks.map((block) => {
    const input = validated(block.where, () => readBlockInput(block.input));
    const key = `${input.kind}:${input.value}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw configInvalid(block.where, `${input.kind} ${excerpt(input.value)} is already listed at ${first}`);
    }
    seen.set(key, block.where);
    return input;
  });
}

/** One write that turns `stored` into `desired` (removes first, then adds); undefined when equal. */
function blocksWrite(
  context: PlanContext,
  target: string,
  desired: readonly CertificateBlockInput[],
  stored: readonly CertificateBlockRecord[],
  /** Resolved when the write runs: the account or CA may be created by an earlier write. */
  where: () => { accountId: string; scope: string | undefined },
): PlannedWrite | undefined {
  const keyOf = (entry: { kind: string; value: string; description: string }) =>
    `${entry.kind}:${entry.value}:${entry.description}`;
  const wanted = new Set(desired.map(keyOf));
  const present = new Set(stored.map(keyOf));
  const removes = stored.filter((record) => !wanted.has(keyOf(record)));
  const adds = desired.filter((entry) => !present.has(keyOf(entry)));
  if (removes.length === 0 && adds.length === 0) return undefined;
  return {
    kind: 'blocked_certificates',
    target,
    run: async () => {
      const { services, principal } = context;
      const { accountId, scope } = where();
      for (const record of removes) await services.caRevocation.removeBlock(principal, accountId, scope, record.id);
      for (const entry of adds) {
        await services.caRevocation.addBlock(principal, accountId, scope, {
          ...(entry.kind === 'sha256' ? { sha256: entry.value } : { serial_number: entry.value }),
          description: entry.description,
        });
      }
    },
  };
}
