/**
 * CertificateExpiryService: which certificates expire soon (or did recently), across client
 * certificates of the managed CAs, uploaded mTLS certificates (CAs and leaves), edge certificates
 * and the accounts' managed CAs. Read by the expiry monitor (logs, webhook, gauge) and by
 * `GET /accounts/:account_id/gateway/expiring_certificates` (account read access).
 *
 * "Expiring within N days" = notAfter before now + N days. Already expired certificates are
 * included for as long again (notAfter after now − N days): an expired edge certificate or CA is the
 * most urgent line of the report, while a fleet's long-expired client certificates are not news.
 */
import { X509Certificate } from 'node:crypto';
import { GW_ERR_API_VALIDATION } from '../../errors/index.ts';
import type { CertificateExpiryStore, ManagedCaStore } from '../../store/ports.ts';
import type { HexId, ManagedCaRecord } from '../../model/records.ts';
import type { CertificateExpiry } from '../../model/read-models.ts';
import type { Principal } from '../access-policy.ts';
import { isoSeconds } from '../ids.ts';
import { renewalStatuses, type RenewalStatus, type RenewalStore } from './renewal-status.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { serialToWire } from '../../pki/serial.ts';

export const DAY_MS = 86_400_000;
export const DEFAULT_EXPIRY_WINDOW_DAYS = 30;
export const MAX_EXPIRY_WINDOW_DAYS = 3650;
/**
 * Client certificates in the expiry gauge, soonest expiry first: a fleet can hold millions, and
 * every one would be a Prometheus series. Past it, `truncated` says so (docs/reference/metrics.md).
 */
export const MAX_CLIENT_EXPIRY_SERIES = 10_000;
/** The far future, as an exclusive upper bound on notAfter (every certificate). */
const END_OF_TIME = '9999-12-31T23:59:59Z';

export interface ExpiringCertificate extends CertificateExpiry {
  expired: boolean;
  /** For a client certificate EST enrolled: its renewal health (renewal-status.ts). */
  renewal?: RenewalStatus;
  /** Whole days until notAfter, rounded down: 0 on its last day, negative once expired. */
  daysRemaining: number;
}

type ExpiryStore = CertificateExpiryStore & Pick<ManagedCaStore, 'getManagedCa' | 'listManagedCas'> & RenewalStore;

export class CertificateExpiryService {
  readonly #store: ExpiryStore;
  readonly #tenancy: TenancyService;
  readonly #now: () => Date;
  readonly #maxClientSeries: number;

  constructor(
    store: ExpiryStore,
    tenancy: TenancyService,
    now: () => Date = () => new Date(),
    maxClientSeries = MAX_CLIENT_EXPIRY_SERIES,
  ) {
    this.#store = store;
    this.#tenancy = tenancy;
    this.#now = now;
    this.#maxClientSeries = maxClientSeries;
  }

  /** The account's certificates expiring within `withinDays` (or expired as recently), soonest first. */
  async list(principal: Principal, accountId: HexId, withinDays: number): Promise<ExpiringCertificate[]> {
    await this.#tenancy.getAccount(principal, accountId, 'read');
    if (!Number.isInteger(withinDays) || withinDays < 0 || withinDays > MAX_EXPIRY_WINDOW_DAYS)
      throw GW_ERR_API_VALIDATION.create(`within_days must be an integer from 0 to ${MAX_EXPIRY_WINDOW_DAYS}`);
    return this.find(withinDays * DAY_MS, accountId);
  }

  /** Every account's (or one account's) certificates expiring within `windowMs` or expired as recently. */
  async find(windowMs: number, accountId?: HexId): Promise<ExpiringCertificate[]> {
    const now = this.#now();
    const before = isoSeconds(new Date(now.getTime() + windowMs));
    const after = isoSeconds(new Date(now.getTime() - windowMs));
    const [stored, managedCas] = await Promise.all([
      this.#store.listCertificateExpiries({ before, after, ...(accountId === undefined ? {} : { accountId }) }),
      this.#managedCas(accountId),
    ]);
    const inWindow = managedCas.filter((ca) => ca.expiresOn < before && ca.expiresOn >= after);
    const renewals = await renewalStatuses(this.#store, stored, now);
    return sortExpiries([...stored, ...inWindow]).map((entry) => {
      const renewal = renewals.get(entry.id);
      return renewal === undefined ? withDays(entry, now) : { ...withDays(entry, now), renewal };
    });
  }

  /**
   * What the expiry gauge shows: every uploaded CA and leaf, edge certificate and managed CA
   * (bounded by configuration: a few CAs per account, one edge certificate per hostname), and the
   * active client certificates of the managed CAs, whatever their expiry, up to the cap, soonest
   * first (expired ones for as long as `windowMs`, as in the report). `truncated`: more were left out.
   */
  async gaugeEntries(windowMs: number): Promise<{ entries: CertificateExpiry[]; truncated: boolean }> {
    const after = isoSeconds(new Date(this.#now().getTime() - windowMs));
    const [configured, clients, managedCas] = await Promise.all([
      this.#store.listCertificateExpiries({ before: END_OF_TIME, kinds: ['ca', 'leaf', 'edge'] }),
      this.#store.listCertificateExpiries({
        before: END_OF_TIME,
        after,
        kinds: ['client'],
        limit: this.#maxClientSeries + 1,
      }),
      this.#managedCas(undefined),
    ]);
    const truncated = clients.length > this.#maxClientSeries;
    const shown = clients.slice(0, this.#maxClientSeries);
    return { entries: sortExpiries([...configured, ...shown, ...managedCas]), truncated };
  }

  async #managedCas(accountId: HexId | undefined): Promise<CertificateExpiry[]> {
    const records =
      accountId === undefined
        ? await this.#store.listManagedCas()
        : [await this.#store.getManagedCa(accountId)].filter((ca) => ca !== undefined);
    return records.map(managedCaExpiry).filter((entry) => entry !== undefined);
  }
}

function managedCaExpiry(record: ManagedCaRecord): CertificateExpiry | undefined {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(record.certificatePem);
  } catch {
    return undefined; // a CA that cannot be parsed has bigger problems, reported where it is used
  }
  return {
    kind: 'managed_ca',
    id: record.id,
    accountId: record.accountId,
    zoneId: null,
    name: record.name,
    issuer: certificate.issuer.replaceAll('\n', ', '),
    serialNumber: serialToWire(certificate.serialNumber),
    expiresOn: isoSeconds(new Date(certificate.validTo)),
  };
}

function sortExpiries<T extends CertificateExpiry>(entries: T[]): T[] {
  const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return entries.sort((a, b) => order(a.expiresOn, b.expiresOn) || order(a.kind, b.kind) || order(a.id, b.id));
}

function withDays(entry: CertificateExpiry, now: Date): ExpiringCertificate {
  const remainingMs = Date.parse(entry.expiresOn) - now.getTime();
  return { ...entry, expired: remainingMs <= 0, daysRemaining: Math.floor(remainingMs / DAY_MS) };
}
