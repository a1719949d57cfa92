/**
 * CertificateExpiryMonitor: at start and then every hour, finds the certificates expiring within the
 * window (default 30 days) or expired as recently (CertificateExpiryService), and
 *  - sets the expiry gauge (GatewayMetrics.setCertificateExpiries) for every certificate in use,
 *    not only those in the window (CertificateExpiryService.gaugeEntries says which, and its bound);
 *  - logs one line per certificate and event per cooldown (default 24 h);
 *  - POSTs one JSON event per certificate and event per cooldown to the webhook, if configured:
 *      { event: "certificate_expiring" | "certificate_expired", kind, id, account_id, zone_id,
 *        name, issuer, serial_number, expires_on, days_remaining, timestamp }, plus `developer` and
 *      `app` ({ id, email } and { id, name }) for a certificate issued through the developer portal
 *    Timeout 5 s; a failure is logged, never thrown, and retried at the next run (within the
 *    cooldown, without logging the certificate again). After one failure the rest of the run's
 *    deliveries wait for the next run, so a dead endpoint costs one timeout per run, not one per
 *    certificate.
 *
 * A fleet can put tens of thousands of certificates in the window at once (devices with 7-day certificates). The
 * run hands the event loop back every YIELD_EVERY certificates: as one synchronous loop, logging 50,000 of them
 * held up the data plane for seconds at every gateway's start and every hour — new handshakes, and the revocation
 * checks of open connections with them (bench/bulk-revocation.ts: a gateway refused a bulk revocation's
 * certificates seconds after the others because its first check ran then).
 *
 * Cooldowns are kept in memory and in the installation settings (one small JSON value, pruned to
 * the certificates still reported), so a restart does not repeat them, and nodes sharing a
 * PostgreSQL store mostly do not either (two nodes running in the same instant may both send).
 * Like Tyk's CertificateExpiringSoon/CertificateExpired events, for every kind of
 * certificate the gateway holds, server certificates included.
 */
import { expiringCertificateFields, renewalFields } from './expiring-certificate-wire.ts';
import type { Logger } from 'pino';
import type { SettingsStore } from '../../store/ports.ts';
import {
  DAY_MS,
  DEFAULT_EXPIRY_WINDOW_DAYS,
  type CertificateExpiryService,
  type ExpiringCertificate,
} from './certificate-expiry-service.ts';

export const DEFAULT_EXPIRY_COOLDOWN_MS = DAY_MS; // 24 hours
export const DEFAULT_EXPIRY_CHECK_INTERVAL_MS = 3_600_000; // 1 hour
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000; // 5 seconds
/** Settings key of the persisted cooldowns. */
export const EXPIRY_NOTIFICATIONS_SETTING = 'certificate_expiry_notifications';
/** Certificates handled between two turns of the event loop (a few milliseconds of logging). */
const YIELD_EVERY = 200;

export type ExpiryEventName = 'certificate_expiring' | 'certificate_expired';

export interface ExpiryGauge {
  /** `truncated`: client certificates past the gauge's cap were left out. */
  setCertificateExpiries(entries: readonly { kind: string; id: string; expiresAt: Date }[], truncated: boolean): void;
}

export interface CertificateExpiryMonitorOptions {
  expiries: CertificateExpiryService;
  settings: SettingsStore;
  logger: Logger;
  windowMs?: number;
  cooldownMs?: number;
  intervalMs?: number;
  /** http(s) URL receiving one POST per event; absent: logs and gauge only. */
  webhookUrl?: string | undefined;
  webhookTimeoutMs?: number;
  gauge?: ExpiryGauge;
  now?: () => Date;
  /** More fields for a certificate's webhook event (the developer portal adds `developer` and `app`). */
  describeOwner?: (certificate: ExpiringCertificate) => Promise<Record<string, unknown> | undefined>;
}

/** Per certificate and event: when it was last logged, and whether the webhook got it since. */
interface Notification {
  at: string;
  delivered: boolean;
}

export interface ExpiryRunResult {
  reported: ExpiringCertificate[];
  /** Certificates logged this run (their cooldown had passed). */
  logged: number;
  /** Webhook deliveries that succeeded this run. */
  delivered: number;
}

export class CertificateExpiryMonitor {
  readonly #options: CertificateExpiryMonitorOptions;
  readonly #logger: Logger;
  readonly #windowMs: number;
  readonly #cooldownMs: number;
  readonly #now: () => Date;
  #notifications = new Map<string, Notification>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<ExpiryRunResult> | undefined;
  readonly #abort = new AbortController();

  constructor(options: CertificateExpiryMonitorOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'certificate-expiry' });
    this.#windowMs = options.windowMs ?? DEFAULT_EXPIRY_WINDOW_DAYS * DAY_MS;
    this.#cooldownMs = options.cooldownMs ?? DEFAULT_EXPIRY_COOLDOWN_MS;
    this.#now = options.now ?? (() => new Date());
  }

  /** Runs now, then every interval (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer !== undefined || this.#abort.signal.aborted) return;
    void this.run();
    this.#timer = setInterval(() => void this.run(), this.#options.intervalMs ?? DEFAULT_EXPIRY_CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  /** One check (joins the one in progress). Never rejects: failures are logged. */
  run(): Promise<ExpiryRunResult> {
    if (this.#running !== undefined) return this.#running;
    const running = this.#check()
      .catch((error: unknown): ExpiryRunResult => {
        this.#logger.error({ err: (error as Error).message }, 'certificate expiry check failed');
        return { reported: [], logged: 0, delivered: 0 };
      })
      .finally(() => {
        this.#running = undefined;
      });
    this.#running = running;
    return running;
  }

  /** Stops the timer, abandons a webhook delivery in flight and waits for the run to end. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#abort.abort();
    await this.#running;
  }

  async #check(): Promise<ExpiryRunResult> {
    const { expiries, gauge } = this.#options;
    const reported = await expiries.find(this.#windowMs);
    if (gauge !== undefined) {
      const { entries, truncated } = await expiries.gaugeEntries(this.#windowMs);
      gauge.setCertificateExpiries(
        entries.map((entry) => ({ ...entry, expiresAt: new Date(entry.expiresOn) })),
        truncated,
      );
    }
    await this.#loadNotifications();
    const now = this.#now();
    const webhook = this.#options.webhookUrl;
    const current = new Map<string, Notification>();
    let logged = 0;
    const undelivered: [string, ExpiringCertificate][] = [];
    let handled = 0;
    for (const certificate of reported) {
      if (++handled % YIELD_EVERY === 0) await nextTurn();
      const key = `${eventName(certificate)}:${certificate.kind}:${certificate.id}`;
      const previous = this.#notifications.get(key);
      if (previous !== undefined && now.getTime() - Date.parse(previous.at) < this.#cooldownMs) {
        current.set(key, previous);
        if (!previous.delivered && webhook !== undefined) undelivered.push([key, certificate]);
        continue;
      }
      this.#log(certificate);
      logged += 1;
      current.set(key, { at: now.toISOString(), delivered: webhook === undefined });
      if (webhook !== undefined) undelivered.push([key, certificate]);
    }
    let delivered = 0;
    for (const [key, certificate] of undelivered) {
      if (webhook === undefined || !(await this.#deliver(webhook, certificate, now))) break;
      const entry = current.get(key);
      if (entry !== undefined) current.set(key, { ...entry, delivered: true });
      delivered += 1;
    }
    this.#notifications = current;
    await this.#saveNotifications();
    return { reported, logged, delivered };
  }

  #log(certificate: ExpiringCertificate): void {
    const fields = {
      event: eventName(certificate),
      kind: certificate.kind,
      id: certificate.id,
      accountId: certificate.accountId,
      zoneId: certificate.zoneId,
      name: certificate.name,
      expiresOn: certificate.expiresOn,
      daysRemaining: certificate.daysRemaining,
    };
    if (certificate.expired) this.#logger.error(fields, 'certificate expired');
    else this.#logger.warn(fields, 'certificate expiring');
  }

  /** One POST; true on a 2xx answer. Never throws. */
  async #deliver(url: string, certificate: ExpiringCertificate, now: Date): Promise<boolean> {
    const timeout = AbortSignal.timeout(this.#options.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS);
    try {
      const owner = await this.#options.describeOwner?.(certificate);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'portcullis' },
        body: JSON.stringify({ ...expiryEvent(certificate, now), ...owner }),
        redirect: 'manual',
        signal: AbortSignal.any([timeout, this.#abort.signal]),
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return true;
      this.#logger.warn(
        { status: response.status, id: certificate.id },
        'certificate expiry webhook refused the event',
      );
    } catch (error) {
      const reason = timeout.aborted ? 'timeout' : (error as Error).message;
      this.#logger.warn({ err: reason, id: certificate.id }, 'certificate expiry webhook failed');
    }
    return false;
  }

  /** Merges the persisted cooldowns (another node's, or the last process's) into memory. */
  async #loadNotifications(): Promise<void> {
    let text: string | undefined;
    try {
      text = await this.#options.settings.getSetting(EXPIRY_NOTIFICATIONS_SETTING);
    } catch (error) {
      this.#logger.warn({ err: (error as Error).message }, 'cannot read expiry notification cooldowns');
      return;
    }
    for (const [key, stored] of parseNotifications(text)) {
      const known = this.#notifications.get(key);
      if (known === undefined || Date.parse(known.at) < Date.parse(stored.at)) this.#notifications.set(key, stored);
    }
  }

  async #saveNotifications(): Promise<void> {
    try {
      await this.#options.settings.putSetting(
        EXPIRY_NOTIFICATIONS_SETTING,
        JSON.stringify(Object.fromEntries(this.#notifications)),
      );
    } catch (error) {
      this.#logger.warn({ err: (error as Error).message }, 'cannot save expiry notification cooldowns');
    }
  }
}

/** Resolves after the I/O and timers already waiting have had their turn. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function eventName(certificate: ExpiringCertificate): ExpiryEventName {
  return certificate.expired ? 'certificate_expired' : 'certificate_expiring';
}

/** The webhook body (snake_case, like the API's list: expiring-certificate-wire.ts). */
export function expiryEvent(certificate: ExpiringCertificate, now: Date): object {
  return {
    event: eventName(certificate),
    ...expiringCertificateFields(certificate),
    ...renewalFields(certificate),
    timestamp: now.toISOString(),
  };
}

function parseNotifications(text: string | undefined): [string, Notification][] {
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, entry]): [string, Notification][] => {
    const { at, delivered } = (entry ?? {}) as Partial<Notification>;
    return typeof at === 'string' && typeof delivered === 'boolean' ? [[key, { at, delivered }]] : [];
  });
}
