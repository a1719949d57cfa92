/**
 * What the planners of the configuration file share (config-plan.ts and the planners it calls:
 * zone-plan.ts, apis-plan.ts, rules-plan.ts, policies-plan.ts, revocation-plan.ts, est-plan.ts,
 * san-policy-plan.ts): the writes they
 * plan, the ids those writes resolve, the context they read, and how a control-plane refusal
 * becomes the file's. Its own module so the planners import it and not each other in a loop.
 */
import { GatewayError, GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import { configInvalid } from '../../config/yaml-cursor.ts';
import type { LoadedAccount, LoadedZone } from '../../config/load-gateway-config.ts';
import type { MtlsCertificateRecord, ZoneRecord } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import type { ControlServices } from '../build-services.ts';

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
  | 'est'
  | 'sanPolicies'
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
  | 'portal_product'
  | 'est'
  | 'san_policy';

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

export interface ZoneToPlan {
  readonly account: LoadedAccount;
  /** The account as a ZoneClaim owner (config-plan.ts). */
  readonly owner: string;
  readonly zone: LoadedZone;
  /** The stored zone; undefined when the apply creates it. */
  readonly zoneRecord: ZoneRecord | undefined;
  /** Uploaded CAs the account holds before the apply. */
  readonly storedCas: readonly MtlsCertificateRecord[];
  /** Every mTLS certificate the account holds before the apply (CAs and leaves). */
  readonly certificates: readonly MtlsCertificateRecord[];
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
