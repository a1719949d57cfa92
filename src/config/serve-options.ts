/**
 * ServeOptions: the validated options of `portcullis serve`. Only usage problems are found here
 * (exit 2); files, store and keys are checked by the composition root (exit 3 when refused).
 */
import path from 'node:path';
import { GW_ERR_USAGE } from '../errors/index.ts';
import { parseListenAddress, type ListenAddress } from './listen-address.ts';
import { parseSessionTickets } from './session-tickets.ts';
import { parseConnectionLimits, type ConnectionLimits, type ConnectionLimitsInput } from './connection-limits.ts';
import { parseDuration } from './duration.ts';
import { parseEstLimits, type EstLimits, type EstLimitsInput } from './est-limits.ts';

/** `serve --upstream-timeout` when not given (the same as `proxy --upstream-timeout`). */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

export interface ServeOptionsInput extends ConnectionLimitsInput, EstLimitsInput {
  dataDir: string;
  store?: string;
  adminListen: string;
  listen: string;
  publicUrl?: string;
  config?: string;
  /** Days (0 = keep forever). */
  analyticsRetentionDays?: string;
  /** Days. */
  expiryWindowDays?: string;
  expiryWebhook?: string;
  /** `on` (default) or `off`. */
  sessionTickets?: string;
  /** `redis://…` or `rediss://…`: rate limits and quotas counted for the whole cluster. */
  redis?: string;
  /** A duration (`10s`): how long the configuration may stay unconfirmed before the gateway reports it stale. */
  configStaleAfter?: string;
  /** A duration (`30s`): the upstream timeout of routes and APIs that set none. */
  upstreamTimeout?: string;
  /** host:port of the developer portal's TLS listener; absent: no portal. */
  portalListen?: string;
  /** The portal's public base URL (https://…), for links; default from --portal-listen. */
  portalUrl?: string;
}

export type StoreLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export interface ServeOptions {
  readonly dataDir: string;
  readonly store: StoreLocation;
  readonly adminListen: ListenAddress;
  readonly listen: ListenAddress;
  /** Base URL clients use to reach the gateway's public PKI endpoints (CRL, OCSP). */
  readonly publicUrl: string;
  /** The declarative configuration file (`--config`), absolute; applied at start and on SIGHUP. */
  readonly configFile?: string | undefined;
  /** Analytics records older than this many days are deleted hourly; 0 keeps them (default 30). */
  readonly analyticsRetentionDays?: number;
  /** Certificates expiring within this many days (or expired as recently) are reported (default 30). */
  readonly expiryWindowDays?: number;
  /** http(s) URL receiving certificate expiry events as JSON POSTs; absent: logs and metrics only. */
  readonly expiryWebhookUrl?: string | undefined;
  /** Stateless TLS session tickets on the gateway listener (default true); see tls-server-options.ts. */
  readonly sessionTickets?: boolean;
  /** Redis for the usage counters (rate limits, quotas) shared by every gateway; absent: in process. */
  readonly redisUrl?: string | undefined;
  /** Upstream timeout of routes and APIs without their own `upstream_timeout_ms` (default 30 s). */
  readonly upstreamTimeoutMs?: number;
  /** Caps on the gateway listener's connections (default DEFAULT_CONNECTION_LIMITS). */
  readonly connectionLimits?: ConnectionLimits;
  /**
   * How often the store is checked for changes made by other gateways (default 500 ms). Not a flag:
   * with Redis the hint arrives first; tests lengthen it to show that the hint alone suffices.
   */
  readonly changePollMs?: number;
  /**
   * How long this gateway's configuration may go without being confirmed current (a failed rebuild
   * being retried, a store that does not answer) before it reports itself stale: `/readyz` 503, an
   * error in the log (default 10 s; control/publish/config-change-feed.ts).
   */
  readonly configStaleAfterMs?: number | undefined;
  /** The developer portal's own TLS listener (docs/adr/0017); absent: the portal is off. */
  readonly portalListen?: ListenAddress | undefined;
  readonly portalUrl?: string | undefined;
  /** Bounds on EST enroll attempts (default DEFAULT_EST_LIMITS). */
  readonly estLimits?: EstLimits;
}

export function parseServeOptions(input: ServeOptionsInput): ServeOptions {
  const dataDir = path.resolve(input.dataDir);
  const adminListen = parseListenAddress(input.adminListen, '--admin-listen');
  const listen = parseListenAddress(input.listen, '--listen');
  return {
    dataDir,
    store: parseStoreLocation(input.store, dataDir),
    adminListen,
    listen,
    publicUrl: parsePublicUrl(input.publicUrl, listen),
    configFile: input.config === undefined ? undefined : path.resolve(input.config),
    analyticsRetentionDays: parseDays(input.analyticsRetentionDays, '--analytics-retention-days', 30, 0),
    expiryWindowDays: parseDays(input.expiryWindowDays, '--expiry-window-days', 30, 1),
    expiryWebhookUrl: parseWebhookUrl(input.expiryWebhook),
    sessionTickets: parseSessionTickets(input.sessionTickets),
    redisUrl: parseRedisUrl(input.redis),
    configStaleAfterMs:
      input.configStaleAfter === undefined ? undefined : parseDuration(input.configStaleAfter, '--config-stale-after'),
    connectionLimits: parseConnectionLimits(input),
    estLimits: parseEstLimits(input),
    portalListen:
      input.portalListen === undefined || input.portalListen === ''
        ? undefined
        : parseListenAddress(input.portalListen, '--portal-listen'),
    portalUrl: parsePortalUrl(input.portalUrl),
    upstreamTimeoutMs:
      input.upstreamTimeout === undefined
        ? DEFAULT_UPSTREAM_TIMEOUT_MS
        : parseDuration(input.upstreamTimeout, '--upstream-timeout'),
  };
}

/** A whole number of days, `min` to 3650 (ten years). */
function parseDays(text: string | undefined, option: string, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const days = /^\d{1,4}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(days >= min && days <= 3650)) throw GW_ERR_USAGE.create(`${option} takes a number of days from ${min} to 3650`);
  return days;
}

function parseWebhookUrl(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw GW_ERR_USAGE.create('--expiry-webhook must be a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw GW_ERR_USAGE.create('--expiry-webhook must be http:// or https://');
  return url.href;
}

function parsePortalUrl(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (!URL.canParse(text) || new URL(text).protocol !== 'https:') {
    throw GW_ERR_USAGE.create('--portal-url must be an https:// URL (the portal is served over TLS only)');
  }
  return new URL(text).origin;
}

function parseStoreLocation(text: string | undefined, dataDir: string): StoreLocation {
  if (text === undefined || text === '') return { kind: 'sqlite', file: path.join(dataDir, 'portcullis.db') };
  if (/^postgres(ql)?:\/\//.test(text)) return { kind: 'postgres', url: text };
  if (text.startsWith('sqlite:')) return { kind: 'sqlite', file: path.resolve(text.slice('sqlite:'.length)) };
  throw GW_ERR_USAGE.create('--store takes postgres://user@host/db or sqlite:/path/file.db');
}

function parseRedisUrl(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  const protocol = URL.canParse(text) ? new URL(text).protocol : '';
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw GW_ERR_USAGE.create('--redis takes redis://[user:password@]host:port[/db] or rediss://…');
  }
  return text;
}

function parsePublicUrl(text: string | undefined, listen: ListenAddress): string {
  if (text === undefined) {
    const host = listen.host === '0.0.0.0' || listen.host === '::' ? 'localhost' : listen.host;
    return `https://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw GW_ERR_USAGE.create(`--public-url must be a URL, got "${text}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw GW_ERR_USAGE.create('--public-url must be http:// or https://');
  return url.origin;
}
