/**
 * planConfig: compares a loaded configuration file with what the store holds and returns the writes
 * that would make the store say what the file says, in order. It reads and never writes, so every
 * check happens before the first write: a file refused here (GW_ERR_CONFIG_INVALID) changes nothing.
 * Applying the same file twice plans no write the second time.
 *
 * Accounts are found by name (created when missing; two accounts of that name are ambiguous and
 * refused); CAs by the SHA-256 of their first certificate (uploaded when missing, never deleted);
 * zones by name, in their account (created when missing; a zone of another account is refused).
 * What a zone holds is planned in config-zone-plan.ts (its APIs in config-apis-plan.ts), an
 * account's policies in config-policies-plan.ts. Writes come in an order where every reference
 * resolves: account, CAs and their revocation (config-revocation-plan.ts), then per zone (APIs
 * among them), then the account's policies, which name those APIs, the policies the file drops,
 * and the account's block list.
 */
import { GatewayError, GW_ERR_API_VALIDATION } from '../errors/index.ts';
import { configInvalid, excerpt } from '../config/yaml-cursor.ts';
import type { GatewayConfig, LoadedAccount } from '../config/load-gateway-config.ts';
import type { AccountRecord, HexId, MtlsCertificateRecord, ZoneRecord } from '../store/records.ts';
import type { Principal } from './access-policy.ts';
import type { ControlServices } from './build-services.ts';
import { DEFAULT_MAX_CAS_PER_ACCOUNT } from './mtls-certificate-service.ts';
import { normaliseZoneName } from './tenancy-service.ts';
import { planPolicies } from './config-policies-plan.ts';
import { planZone } from './config-zone-plan.ts';
import { planAccountBlocks, planCaRevocations } from './config-revocation-plan.ts';
import { planPortalProducts } from './config-portal-plan.ts';

export type ConfigServices = Pick<
  ControlServices,
  | 'tenancy'
  | 'mtlsCertificates'
  | 'edgeCertificates'
  | 'hostnameAssociations'
  | 'routes'
  | 'managedHeaders'
  | 'rulesets'
  | 'clientCertificates'
  | 'apis'
  | 'policies'
  | 'keys'
  | 'caRevocation'
  | 'portal'
>;

/** What a planned write changes, for the `config applied` log line. */
export type ChangeKind =
  | 'account'
  | 'zone'
  | 'ca'
  | 'ca_revocation'
  | 'crl'
  | 'blocked_certificates'
  | 'edge_certificate'
  | 'mtls'
  | 'routes'
  | 'rules'
  | 'identity_headers'
  | 'api'
  | 'policy'
  | 'portal_product';

export interface PlannedWrite {
  readonly kind: ChangeKind;
  /** `zone example.com: routes`, for the log. */
  readonly target: string;
  run(ids: ResolvedIds): Promise<void>;
}

/** Ids of what exists before the apply, and of what the apply's own earlier writes create. */
export class ResolvedIds {
  readonly #ids = new Map<string, string>();

  static accountKey = (name: string): string => `account\0${name}`;
  static zoneKey = (name: string): string => `zone\0${name}`;
  static caKey = (accountName: string, fingerprint: string): string => `ca\0${accountName}\0${fingerprint}`;
  /** An API of the file: its zone (normalised) and its name (trimmed). */
  static apiKey = (zoneName: string, apiName: string): string => `api\0${zoneName}\0${apiName.trim()}`;

  set(key: string, id: string): void {
    this.#ids.set(key, id);
  }

  has(key: string): boolean {
    return this.#ids.has(key);
  }

  /** The id; a missing one is a bug in the plan's order (its creating write comes first). */
  get(key: string): string {
    const id = this.#ids.get(key);
    if (id === undefined) throw new Error(`config plan: no id for ${key.replaceAll('\0', ' ')}`);
    return id;
  }
}

export interface ConfigPlan {
  readonly ids: ResolvedIds;
  readonly writes: readonly PlannedWrite[];
}

/** Shared by the planners: the principal every read and write acts as, and the clock. */
export interface PlanContext {
  readonly services: ConfigServices;
  readonly principal: Principal;
  readonly now: Date;
  readonly ids: ResolvedIds;
  /** Stored APIs the plan deletes (an `api_id` naming one of them is refused). */
  readonly deletedApis: Set<string>;
  /** Every zone name once the writes so far are made, and whose it is (zone overlaps, ADR 0007). */
  readonly zoneClaims: ZoneClaim[];
}

/** A zone name and its account: the stored account id, or `new account <name>` for one the file creates. */
export interface ZoneClaim {
  readonly name: string;
  readonly owner: string;
}

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

/**
 * Runs a validator of the control plane; its refusal becomes the file's, at `where` (or where the
 * reason points).
 */
export function validated<T>(where: string | ((reason: string) => string), check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    throw refusedAt(where, error);
  }
}

/** A control-plane refusal restated as the configuration file's (GW_ERR_CONFIG_INVALID, exit 3). */
export function refusedAt(where: string | ((reason: string) => string), error: GatewayError): GatewayError {
  const reason = reasonOf(error);
  return configInvalid(typeof where === 'string' ? where : where(reason), reason);
}

/**
 * Where a validator's reason points in an item whose keys are in `whereOf`: the validators start
 * their reasons with the field (`rate_limit.per must be ...`, `auth.allowed_certificates[2]: ...`),
 * so the longest key the reason starts with, else the longest it names, else the item.
 */
export function whereOfProblem(whereOf: Readonly<Record<string, string>>, reason: string, fallback: string): string {
  const keys = Object.keys(whereOf).sort((a, b) => b.length - a.length);
  const key =
    keys.find((candidate) => reason.startsWith(candidate)) ??
    keys.find((candidate) => candidate.includes('.') && reason.includes(candidate)) ??
    (/hostname/i.test(reason) && 'hostname' in whereOf ? 'hostname' : undefined);
  return (key === undefined ? undefined : whereOf[key]) ?? fallback;
}

/** The message without the API's `Invalid request: ` prefix, which reads oddly about a file. */
function reasonOf(error: GatewayError): string {
  const prefix = GW_ERR_API_VALIDATION.message.replace('%s', '');
  return error.code === GW_ERR_API_VALIDATION.code && error.message.startsWith(prefix)
    ? error.message.slice(prefix.length)
    : error.message;
}
