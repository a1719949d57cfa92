/**
 * The telemetry of `portcullis serve` (metrics, analytics, certificate expiry), assembled for the
 * composition root (app/serve.ts) so that it wires them in a few lines:
 *  - `metrics`: the Prometheus registry (`GET /metrics` on the admin listener; request counts from
 *    the data plane, handshake failures from the listener, drops from the recorder, expiries
 *    from the monitor);
 *  - `analyticsRecorder`: batched analytics writes and retention;
 *  - `requestSink`: what the data plane reports each request to (the recorder and the metrics);
 *  - `analytics`, `certificateExpiry`: the use cases behind the analytics and expiry routes;
 *  - `expiryMonitor`: the hourly expiry check (logs, webhook, gauge).
 * `start()` once the listeners are up; `close()` after the data plane has drained and before the
 * store closes (it writes the last analytics batch).
 */
import type { Logger } from 'pino';
import type { Store } from '../store/ports.ts';
import type { TenancyService } from '../control/tenancy/tenancy-service.ts';
import { GatewayMetrics } from '../observability/metrics.ts';
import { AnalyticsRecorder, DEFAULT_ANALYTICS_RETENTION_MS } from '../control/telemetry/analytics-recorder.ts';
import { AnalyticsService } from '../control/telemetry/analytics-service.ts';
import {
  CertificateExpiryService,
  DAY_MS,
  DEFAULT_EXPIRY_WINDOW_DAYS,
} from '../control/telemetry/certificate-expiry-service.ts';
import { CertificateExpiryMonitor } from '../control/telemetry/certificate-expiry-monitor.ts';
import type { AnalyticsSink } from '../runtime-config/analytics-sink.ts';
import { portalOwnerOf } from '../control/portal/portal-certificate-owner.ts';

export interface TelemetrySettings {
  /** Days of analytics kept (0: forever); default 30. */
  readonly analyticsRetentionDays?: number | undefined;
  /** Days ahead (and back) of certificate expiry reports; default 30. */
  readonly expiryWindowDays?: number | undefined;
  readonly expiryWebhookUrl?: string | undefined;
}

export class ServeTelemetry {
  readonly metrics: GatewayMetrics;
  readonly analyticsRecorder: AnalyticsRecorder;
  readonly requestSink: AnalyticsSink;
  readonly analytics: AnalyticsService;
  readonly certificateExpiry: CertificateExpiryService;
  readonly expiryMonitor: CertificateExpiryMonitor;

  constructor(store: Store, tenancy: TenancyService, settings: TelemetrySettings, logger: Logger) {
    const metrics = new GatewayMetrics();
    this.metrics = metrics;
    const retentionDays = settings.analyticsRetentionDays;
    this.analyticsRecorder = new AnalyticsRecorder({
      store,
      logger,
      retentionMs: retentionDays === undefined ? DEFAULT_ANALYTICS_RETENTION_MS : retentionDays * DAY_MS,
      onDrop: (reason, count) => metrics.analyticsDropped(reason, count),
    });
    const recorder = this.analyticsRecorder;
    this.requestSink = {
      record(entry) {
        recorder.record(entry);
        metrics.observeRequest(entry.zoneId ?? '', entry.apiId ?? '', entry.status, entry.latencyMs / 1000);
      },
    };
    this.analytics = new AnalyticsService(store, tenancy);
    this.certificateExpiry = new CertificateExpiryService(store, tenancy);
    this.expiryMonitor = new CertificateExpiryMonitor({
      expiries: this.certificateExpiry,
      settings: store,
      logger,
      gauge: metrics,
      windowMs: (settings.expiryWindowDays ?? DEFAULT_EXPIRY_WINDOW_DAYS) * DAY_MS,
      webhookUrl: settings.expiryWebhookUrl,
      describeOwner: portalOwnerOf(store),
    });
  }

  /** Starts the analytics flush and retention timers and the expiry monitor (first check now). */
  start(): void {
    this.analyticsRecorder.start();
    this.expiryMonitor.start();
  }

  /** Stops the timers and writes the analytics still buffered. */
  async close(): Promise<void> {
    await Promise.all([this.analyticsRecorder.close(), this.expiryMonitor.close()]);
  }
}
