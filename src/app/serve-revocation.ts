/**
 * Revocation of uploaded CAs in `portcullis serve` (docs/adr/0014), assembled for the composition
 * root: where the control plane's implementations meet the data plane's ports
 * (runtime-config/uploaded-ca-revocation.ts), without the two planes importing each other.
 *
 *   ocsp       OcspStatusChecker: the data plane's OcspStatusSource
 *   observer   RevocationObserver: counts and logs statuses that cannot be established (loudly when
 *              a CA fails open: every such request counts, and a warning is logged per CA and
 *              reason at most once a minute) and hands learnt distribution points to the refresher
 *   refresher  CrlRefresher: CRL fetching, one gateway per CA at a time
 *
 * `start()` once the snapshot is live; `stop()` before the store closes.
 */
import type { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { CaRevocationService } from '../control/revocation/ca-revocation-service.ts';
import { CrlRefresher } from '../control/revocation/crl-refresher.ts';
import { OcspStatusChecker } from '../control/revocation/ocsp-status-checker.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { RevocationObserver, RevocationUnknownReason } from '../runtime-config/uploaded-ca-revocation.ts';
import type { Store } from '../store/ports.ts';

/** A CA's unknown statuses are logged at most this often (per reason); every one is counted. */
const LOG_INTERVAL_MS = 60_000;

export interface GatewayRevocationOptions {
  readonly store: Store;
  readonly service: CaRevocationService;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Announces a configuration change to every gateway and applies it here. */
  readonly announce: () => Promise<void>;
}

export class GatewayRevocation {
  readonly ocsp: OcspStatusChecker;
  readonly refresher: CrlRefresher;
  readonly observer: RevocationObserver;

  constructor(options: GatewayRevocationOptions) {
    const { metrics, logger } = options;
    this.ocsp = new OcspStatusChecker({ logger, onResult: (result) => metrics.ocspChecked(result) });
    this.refresher = new CrlRefresher({
      store: options.store,
      service: options.service,
      logger,
      announce: options.announce,
      onFetch: (result) => metrics.crlFetched(result),
    });
    const refresher = this.refresher;
    const loggedAt = new Map<string, number>();
    this.observer = {
      unavailable(mtlsCertificateId: string, reason: RevocationUnknownReason, allowed: boolean): void {
        metrics.revocationUnknown(mtlsCertificateId, reason, allowed);
        const key = `${mtlsCertificateId}/${reason}/${allowed}`;
        const now = Date.now();
        if (now - (loggedAt.get(key) ?? Number.NEGATIVE_INFINITY) < LOG_INTERVAL_MS) return;
        loggedAt.set(key, now);
        if (allowed) {
          logger.error(
            { mtlsCertificateId, reason },
            'revocation status unknown: client certificates of this CA are LET THROUGH (it fails open) until a fresh CRL or OCSP answer is in',
          );
        } else {
          logger.warn(
            { mtlsCertificateId, reason },
            'revocation status unknown: client certificates of this CA are refused (it fails closed) until a fresh CRL or OCSP answer is in',
          );
        }
      },
      crlMissing(mtlsCertificateId: string, leaf: X509Certificate): void {
        refresher.discovered(mtlsCertificateId, leaf);
      },
    };
  }

  start(): void {
    this.refresher.start();
  }

  /** Something changed (settings, a learnt distribution point elsewhere): look for due fetches now. */
  nudge(): void {
    this.refresher.nudge();
  }

  async stop(): Promise<void> {
    await this.refresher.stop();
  }
}
