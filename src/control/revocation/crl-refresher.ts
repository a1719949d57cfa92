/**
 * CrlRefresher: fetches the CRLs of uploaded CAs whose fetching is on (docs/adr/0014), in the control
 * plane, never on the request path. Every few seconds (and at once when nudged) it looks for CAs
 * whose next fetch is due; for each it first takes the CA's fetch lease in the store, so in a
 * cluster one gateway fetches and the others wait for its result:
 *
 *   due CA ─ lease taken? ─no─▶ another gateway fetches it
 *            └ yes: GET each URL (configured, else the distribution points learnt from the CA's
 *              client certificates), through the outbound guard (outbound-http.ts)
 *                ├ a CRL newer than the one in force → stored → announced: every gateway compiles
 *                │   it into its snapshot (they all enforce the same CRL)
 *                ├ the same CRL → nothing written
 *                └ refused or unreachable → kept as last_error; the CRL in force stays until its
 *                    nextUpdate, then the CA's fail mode applies
 *              next fetch: after refresh_interval_seconds (never after the CRL's own nextUpdate);
 *              after a failure sooner, with a backoff
 *
 * Distribution points are learnt from verified client certificates of a CA that has no CRL for
 * their issuer yet (`discovered`, called by the data plane's observer): their CDP URIs, http(s) only,
 * at most four per CA, kept in the store so every gateway knows them.
 */
import { randomBytes, type X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { MAX_CRL_BYTES, readCrlBytes } from '../../pki/crl-input.ts';
import { MAX_POINTERS, revocationPointers } from '../../pki/revocation-pointers.ts';
import type { CaRevocationRecord } from '../../store/ca-revocation-records.ts';
import type { Store } from '../../store/ports.ts';
import type { CaRevocationService } from './ca-revocation-service.ts';
import { withDefaults } from './ca-revocation-input.ts';
import { fetchOutbound, type OutboundFetch } from './outbound-http.ts';
import { retryDelayMs } from '../publish/retry-backoff.ts';

export const DEFAULT_CRL_TICK_MS = 5_000;
/** After a failed fetch, retry after about this long, doubling up to RETRY_MAX_MS (never past the interval). */
const RETRY_BASE_MS = 10_000;
const RETRY_MAX_MS = 10 * 60_000;
/** A certificate's distribution points are read at most once per CA in this interval. */
const DISCOVERY_INTERVAL_MS = 60_000;
/** Margin of the lease beyond the fetches' own timeouts. */
const LEASE_MARGIN_MS = 30_000;

export type CrlFetchResult = 'updated' | 'unchanged' | 'failed';

export interface CrlRefresherOptions {
  readonly store: Store;
  readonly service: CaRevocationService;
  readonly logger: Logger;
  /** Tells every gateway (this one included) that the configuration changed; resolves once applied here. */
  readonly announce: () => Promise<void>;
  readonly fetch?: OutboundFetch;
  readonly tickMs?: number;
  /** Names this gateway in the lease; default random. */
  readonly holder?: string;
  readonly onFetch?: (result: CrlFetchResult) => void;
  readonly random?: () => number;
}

export class CrlRefresher {
  readonly #options: CrlRefresherOptions;
  readonly #fetch: OutboundFetch;
  readonly #holder: string;
  readonly #discoveredAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  /** Wakes the refresher when the earliest due fetch comes before the next tick. */
  #wake: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: CrlRefresherOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetchOutbound;
    this.#holder = options.holder ?? randomBytes(8).toString('hex');
  }

  start(): void {
    this.#timer = setInterval(() => this.nudge(), this.#options.tickMs ?? DEFAULT_CRL_TICK_MS);
    this.#timer.unref();
    this.nudge();
  }

  /** Looks for due fetches now (settings changed, a distribution point learnt). */
  nudge(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.runOnce()
      .catch((error: unknown) => {
        this.#options.logger.warn(
          { err: (error as Error).message },
          'CRL refresh round failed; retried at the next one',
        );
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          this.nudge();
        }
      });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#wake);
    await this.#running;
  }

  /** One round: every due CA whose lease this gateway gets is fetched. */
  async runOnce(): Promise<void> {
    const { store } = this.#options;
    let earliest = Number.POSITIVE_INFINITY;
    for (const record of await store.listAllCaRevocations()) {
      if (this.#stopped) return;
      const settings = withDefaults(record.settings);
      if (!settings.crlFetch.enabled || record.nextFetchAt === null) continue;
      const now = Date.now();
      const due = Date.parse(record.nextFetchAt);
      if (due > now) {
        earliest = Math.min(earliest, due);
        continue;
      }
      const urls = settings.crlFetch.urls.length > 0 ? settings.crlFetch.urls : record.discoveredCrlUrls;
      if (urls.length === 0) continue; // nothing learnt yet: its clients are unknown, as their CA says
      const leaseMs = urls.length * settings.crlFetch.timeoutMs + LEASE_MARGIN_MS;
      const leased = await store.takeCrlFetchLease(
        record.mtlsCertificateId,
        this.#holder,
        new Date(now).toISOString(),
        new Date(now + leaseMs).toISOString(),
      );
      if (leased) earliest = Math.min(earliest, await this.#refresh(record, urls));
    }
    this.#wakeAt(earliest);
  }

  /** A short refresh interval is honoured between ticks. */
  #wakeAt(time: number): void {
    clearTimeout(this.#wake);
    const delay = time - Date.now();
    if (this.#stopped || !Number.isFinite(delay) || delay >= (this.#options.tickMs ?? DEFAULT_CRL_TICK_MS)) return;
    this.#wake = setTimeout(() => this.nudge(), Math.max(0, delay) + 10);
    this.#wake.unref();
  }

  /**
   * A verified client certificate of a CA that learns its distribution points, whose issuer has no
   * CRL yet. Called per request while that lasts: cheap and never throws.
   */
  discovered(mtlsCertificateId: string, leaf: X509Certificate): void {
    const now = Date.now();
    const last = this.#discoveredAt.get(mtlsCertificateId) ?? Number.NEGATIVE_INFINITY;
    if (now - last < DISCOVERY_INTERVAL_MS || this.#stopped) return;
    this.#discoveredAt.set(mtlsCertificateId, now);
    const urls = revocationPointers(leaf.raw).crlUrls;
    if (urls.length === 0) return;
    this.#learn(mtlsCertificateId, urls).catch((error: unknown) => {
      this.#options.logger.warn(
        { err: (error as Error).message, mtlsCertificateId },
        'cannot record CRL distribution points',
      );
    });
  }

  async #learn(mtlsCertificateId: string, urls: readonly string[]): Promise<void> {
    const { store, logger } = this.#options;
    const record = await store.getCaRevocation(mtlsCertificateId);
    if (record === undefined) return;
    const known = record.discoveredCrlUrls;
    const merged = [...new Set([...known, ...urls])].slice(0, MAX_POINTERS);
    if (merged.length === known.length) return;
    await store.setDiscoveredCrlUrls(mtlsCertificateId, merged, new Date().toISOString());
    logger.info({ mtlsCertificateId, urls: merged }, 'learnt CRL distribution points from a client certificate');
    this.nudge();
  }

  /** Fetches the CA's CRLs; when its next fetch is due (epoch ms). */
  async #refresh(record: CaRevocationRecord, urls: readonly string[]): Promise<number> {
    const { store, service, logger } = this.#options;
    const settings = withDefaults(record.settings);
    const ca = await store.getMtlsCertificate(record.accountId, record.mtlsCertificateId);
    const at = new Date();
    if (ca === undefined) {
      await store.finishCrlFetch(record.mtlsCertificateId, this.#holder, {
        at: at.toISOString(),
        error: 'the CA was deleted',
        nextFetchAt: null,
        failures: 0,
      });
      return Number.POSITIVE_INFINITY;
    }
    const errors: string[] = [];
    let changed = false;
    for (const url of urls) {
      try {
        const body = await this.#fetch({
          url,
          headers: { accept: 'application/pkix-crl, application/x-pkcs7-crl;q=0.5, */*;q=0.1' },
          timeoutMs: settings.crlFetch.timeoutMs,
          maxBytes: MAX_CRL_BYTES,
          allowPrivateAddresses: settings.allowPrivateAddresses,
        });
        const stored = await service.storeFetchedCrl(ca, readCrlBytes(body), url);
        this.#options.onFetch?.(stored.changed ? 'updated' : 'unchanged');
        if (stored.changed) {
          changed = true;
          logger.info(
            {
              mtlsCertificateId: ca.id,
              url,
              crlNumber: stored.record.crlNumber,
              revoked: stored.record.revokedSerials.length,
            },
            'fetched a new CRL',
          );
        }
      } catch (error) {
        this.#options.onFetch?.('failed');
        errors.push(`${url}: ${(error as Error).message}`);
      }
    }
    const failures = errors.length === 0 ? 0 : record.fetchFailures + 1;
    const nextFetchAt = await this.#nextFetch(record, failures, settings.crlFetch.refreshIntervalSeconds * 1000);
    await store.finishCrlFetch(record.mtlsCertificateId, this.#holder, {
      at: at.toISOString(),
      error: errors.length === 0 ? null : errors.join('; ').slice(0, 2000),
      nextFetchAt,
      failures,
    });
    if (errors.length > 0) {
      logger.warn(
        { mtlsCertificateId: ca.id, err: errors.join('; '), failures, nextFetchAt },
        'CRL fetch failed: the CRL in force (if any) stays until its nextUpdate, then the CA fails closed or open as configured',
      );
    }
    if (changed) await this.#options.announce();
    return Date.parse(nextFetchAt);
  }

  /** After the interval, or the backoff after a failure; never after the earliest nextUpdate in force. */
  async #nextFetch(record: CaRevocationRecord, failures: number, intervalMs: number): Promise<string> {
    const now = Date.now();
    const delay =
      failures === 0
        ? intervalMs
        : Math.min(
            intervalMs,
            retryDelayMs(failures, RETRY_BASE_MS, RETRY_MAX_MS, this.#options.random ?? Math.random),
          );
    let next = now + delay;
    for (const crl of await this.#options.store.listCaCrls(record.mtlsCertificateId)) {
      const nextUpdate = Date.parse(crl.nextUpdate);
      if (nextUpdate > now) next = Math.min(next, nextUpdate);
    }
    return new Date(next).toISOString();
  }
}
