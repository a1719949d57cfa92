/**
 * planConfig: compares a loaded configuration file with what the store holds and returns the writes
 * that would make the store say what the file says, in order. It reads and never writes, so every
 * check happens before the first write: a file refused here (GW_ERR_CONFIG_INVALID) changes nothing.
 * Applying the same file twice plans no write the second time.
 *
 * Accounts are found by name (created when missing; two accounts of that name are ambiguous and
 * refused); CAs by the SHA-256 of their first certificate (uploaded when missing, never deleted);
 * zones by name, in their account (created when missing; a zone of another account is refused).
 * What a zone holds is planned in zone-plan.ts (its APIs in apis-plan.ts), an
 * account's policies in policies-plan.ts. Writes come in an order where every reference
 * resolves: account, CAs and their revocation (revocation-plan.ts), then per zone (APIs
 * among them), then the account's policies, which name those APIs, the policies the file drops,
 * and the account's block list.
 */
import { configInvalid, excerpt } from '../../config/yaml-cursor.ts';
import type { GatewayConfig, LoadedAccount } from '../../config/load-gateway-config.ts';
import type { AccountRecord, HexId, MtlsCertificateRecord, ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import { DEFAULT_MAX_CAS_PER_ACCOUNT } from '../certificates/mtls-certificate-service.ts';
import { normaliseZoneName } from '../tenancy/tenancy-service.ts';
import { planPolicies } from './policies-plan.ts';
import { planZone } from './zone-plan.ts';
import { planAccountBlocks, planCaRevocations } from './revocation-plan.ts';
import {
  ResolvedIds,
  validated,
  type ConfigPlan,
  type ConfigServices,
  type PlanContext,
  type PlannedWrite,
} from './plan-parts.ts';
import { planPortalProducts } from './portal-plan.ts';

export async function planConfig(
  config: GatewayConfig,
  services: ConfigServices,
  principal: Principal,
  now = new Date(),
): Promise<ConfigPlan> {
  const zoneClaims = (await services.tenancy.listZones(principal, {})).map((zone) => ({
    name: zone.name,
    owner: zone.accountId,
  }));
  const context: PlanContext = { services, principal, now, ids: new ResolvedIds(), deletedApis: new Set(), zoneClaims };
  const accounts = await services.tenancy.listAccounts(principal);
  const writes: PlannedWrite[] = [];
  for (const account of config.accounts) writes.push(...(await planAccount(account, accounts, context)));
  return { ids: context.ids, writes };
}

async function planAccount(
  account: LoadedAccount,
  existing: readonly AccountRecord[],
  context: PlanContext,
): Promise<PlannedWrite[]> {
  const { services, principal, ids } = context;
  const named = existing.filter((record) => record.name === account.name.trim());
  if (named.length > 1) {
    throw configInvalid(
      account.where,
      `${named.length} accounts are named ${excerpt(account.name)}: rename all but one`,
    );
  }
  const accountKey = ResolvedIds.accountKey(account.name);
  const writes: PlannedWrite[] = [];
  let certificates: MtlsCertificateRecord[] = [];
  const [record] = named;
  if (record === undefined) {
    writes.push({
      kind: 'account',
      target: `account ${account.name}`,
      run: async () => ids.set(accountKey, (await services.tenancy.createAccount(principal, account.name)).id),
    });
  } else {
    ids.set(accountKey, record.id);
    certificates = await services.mtlsCertificates.list(principal, record.id, undefined);
  }
  const storedCas = certificates.filter((certificate) => certificate.ca);
  writes.push(...planCas(account, storedCas, context));
  writes.push(...(await planCaRevocations(account, storedCas, context)));
  for (const zone of account.zones) {
    const zoneRecord = await findZone(zone.name, zone.where, record?.id, context);
    const owner = record?.id ?? `new account ${account.name.trim()}`;
    writes.push(...(await planZone({ account, owner, zone, zoneRecord, storedCas, certificates }, context)));
  }
  writes.push(...(await planPolicies(account, record, context)));
  writes.push(...(await planAccountBlocks(account, record?.id, context)));
  writes.push(...planPortalProducts(account, context));
  return writes;
}

function planCas(
  account: LoadedAccount,
  stored: readonly MtlsCertificateRecord[],
  context: PlanContext,
): PlannedWrite[] {
  const { services, principal, ids } = context;
  const writes: PlannedWrite[] = [];
  /** Compatibility changes of stored CAs: writes, but not uploads (they take no room in the quota). */
  const changes: PlannedWrite[] = [];
  const accountKey = ResolvedIds.accountKey(account.name);
  for (const ca of account.cas) {
    const caKey = ResolvedIds.caKey(account.name, ca.fingerprintSha256);
    const compatibility = ca.compatibility.value;
    const found = stored.find((record) => record.fingerprintSha256 === ca.fingerprintSha256);
    if (found !== undefined) {
      ids.set(caKey, found.id);
      // The file decides the compatibility of the CAs it names (the CA was checked under it when loaded).
      if (found.compatibility !== compatibility) {
        changes.push({
          kind: 'ca',
          target: `account ${account.name}: CA ${ca.name} compatibility ${compatibility}`,
          run: async () => {
            await services.mtlsCertificates.setCompatibility(principal, found.accountId, found.id, compatibility);
          },
        });
      }
      continue;
    }
    writes.push({
      kind: 'ca',
      target: `account ${account.name}: CA ${ca.name}`,
      run: async () => {
        const input = { ca: true, certificates: ca.certificatesPem, name: ca.name, compatibility };
        ids.set(caKey, (await services.mtlsCertificates.upload(principal, ids.get(accountKey), input)).id);
      },
    });
  }
  // The upload would refuse past the quota halfway through the apply; refuse the whole file now.
  const uploads = writes.length;
  if (stored.length + uploads > DEFAULT_MAX_CAS_PER_ACCOUNT) {
    throw configInvalid(
      account.where,
      `${uploads} new CA(s) would make ${stored.length + uploads}, over the ${DEFAULT_MAX_CAS_PER_ACCOUNT} an account may hold`,
    );
  }
  return [...writes, ...changes];
}

/** The zone of that name, if any; refused when it belongs to another account. */
async function findZone(
  name: string,
  where: string,
  accountId: HexId | undefined,
  context: PlanContext,
): Promise<ZoneRecord | undefined> {
  const normalised = validated(where, () => normaliseZoneName(name));
  const [zone] = await context.services.tenancy.listZones(context.principal, { name: normalised });
  if (zone !== undefined && zone.accountId !== accountId) {
    throw configInvalid(where, `zone ${normalised} already exists in another account (${zone.accountId})`);
  }
  return zone;
}
