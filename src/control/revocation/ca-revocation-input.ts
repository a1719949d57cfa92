/**
 * The revocation settings of an uploaded CA and its block-list entries, from the admin API's wire
 * form (snake_case) to records, with the defaults and limits of docs/adr/0014. Pure: every refusal is
 * a GW_ERR_API_VALIDATION (or GW_ERR_REVOCATION_URL_REFUSED for a URL) naming the field.
 *
 * Defaults: fail closed; CRL fetching off (when on: hourly, 10 s per fetch, the distribution points
 * of the CA's client certificates unless URLs are given); OCSP off (when on: 3 s per question, no
 * nonce, answers kept at most an hour); public addresses only.
 */
import { GW_ERR_API_VALIDATION, GW_ERR_REVOCATION_URL_REFUSED } from '../../errors/index.ts';
import { isFetchableUrl, MAX_POINTER_LENGTH, MAX_POINTERS } from '../../pki/revocation-pointers.ts';
import { serialForLookup } from '../../pki/serial.ts';
import {
  REVOCATION_FAIL_MODES,
  type CaRevocationSettings,
  type CertificateBlockKind,
  type RevocationFailMode,
} from '../../store/ca-revocation-records.ts';
import { isIP } from 'node:net';
import { outboundAddressProblem } from './outbound-address.ts';

export const DEFAULT_CA_REVOCATION_SETTINGS: CaRevocationSettings = Object.freeze({
  onUnavailable: 'fail_closed',
  crlFetch: Object.freeze({ enabled: false, urls: [], refreshIntervalSeconds: 3600, timeoutMs: 10_000 }),
  ocsp: Object.freeze({ enabled: false, timeoutMs: 3000, nonce: false, maxCacheSeconds: 3600 }),
  allowPrivateAddresses: false,
});

export const LIMITS = {
  refreshIntervalSeconds: [1, 7 * 86_400],
  crlTimeoutMs: [100, 60_000],
  ocspTimeoutMs: [100, 30_000],
  maxCacheSeconds: [1, 86_400],
} as const;

/** The settings as the API shows and takes them. */
export interface CaRevocationSettingsWire {
  on_unavailable?: string;
  crl_fetch?: { enabled?: boolean; urls?: string[]; refresh_interval_seconds?: number; timeout_ms?: number };
  ocsp?: { enabled?: boolean; timeout_ms?: number; nonce?: boolean; max_cache_seconds?: number };
  allow_private_addresses?: boolean;
}

/** `base` changed by what `patch` says (a PATCH body, or a whole document over the defaults). */
export function applySettingsPatch(base: CaRevocationSettings, patch: CaRevocationSettingsWire): CaRevocationSettings {
  const allowPrivateAddresses = patch.allow_private_addresses ?? base.allowPrivateAddresses;
  const crl = patch.crl_fetch ?? {};
  const ocsp = patch.ocsp ?? {};
  const settings: CaRevocationSettings = {
    onUnavailable: failMode(patch.on_unavailable ?? base.onUnavailable),
    crlFetch: {
      enabled: crl.enabled ?? base.crlFetch.enabled,
      urls: crl.urls === undefined ? [...base.crlFetch.urls] : crlUrls(crl.urls, allowPrivateAddresses),
      refreshIntervalSeconds: within(
        crl.refresh_interval_seconds ?? base.crlFetch.refreshIntervalSeconds,
        LIMITS.refreshIntervalSeconds,
        'crl_fetch.refresh_interval_seconds',
      ),
      timeoutMs: within(crl.timeout_ms ?? base.crlFetch.timeoutMs, LIMITS.crlTimeoutMs, 'crl_fetch.timeout_ms'),
    },
    ocsp: {
      enabled: ocsp.enabled ?? base.ocsp.enabled,
      timeoutMs: within(ocsp.timeout_ms ?? base.ocsp.timeoutMs, LIMITS.ocspTimeoutMs, 'ocsp.timeout_ms'),
      nonce: ocsp.nonce ?? base.ocsp.nonce,
      maxCacheSeconds: within(
        ocsp.max_cache_seconds ?? base.ocsp.maxCacheSeconds,
        LIMITS.maxCacheSeconds,
        'ocsp.max_cache_seconds',
      ),
    },
    allowPrivateAddresses,
  };
  // Turning private addresses off must not leave a configured URL that names one.
  if (patch.allow_private_addresses === false && crl.urls === undefined) crlUrls(settings.crlFetch.urls, false);
  return settings;
}

/** Stored settings as the API shows them. */
export function settingsWire(settings: CaRevocationSettings): Required<CaRevocationSettingsWire> {
  return {
    on_unavailable: settings.onUnavailable,
    crl_fetch: {
      enabled: settings.crlFetch.enabled,
      urls: [...settings.crlFetch.urls],
      refresh_interval_seconds: settings.crlFetch.refreshIntervalSeconds,
      timeout_ms: settings.crlFetch.timeoutMs,
    },
    ocsp: {
      enabled: settings.ocsp.enabled,
      timeout_ms: settings.ocsp.timeoutMs,
      nonce: settings.ocsp.nonce,
      max_cache_seconds: settings.ocsp.maxCacheSeconds,
    },
    allow_private_addresses: settings.allowPrivateAddresses,
  };
}

/** Stored settings completed with today's defaults (a row written by an older version lacks newer keys). */
export function withDefaults(stored: Partial<CaRevocationSettings> | undefined): CaRevocationSettings {
  const base = DEFAULT_CA_REVOCATION_SETTINGS;
  return {
    onUnavailable: stored?.onUnavailable ?? base.onUnavailable,
    crlFetch: { ...base.crlFetch, ...stored?.crlFetch },
    ocsp: { ...base.ocsp, ...stored?.ocsp },
    allowPrivateAddresses: stored?.allowPrivateAddresses ?? base.allowPrivateAddresses,
  };
}

function failMode(value: string): RevocationFailMode {
  if ((REVOCATION_FAIL_MODES as readonly string[]).includes(value)) return value as RevocationFailMode;
  throw GW_ERR_API_VALIDATION.create(`on_unavailable must be ${REVOCATION_FAIL_MODES.join(' or ')}`);
}

function within(value: number, [min, max]: readonly [number, number], field: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw GW_ERR_API_VALIDATION.create(`${field} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Configured CRL URLs: http(s), at most MAX_POINTERS, and no literal address the guard would refuse. */
export function crlUrls(urls: readonly string[], allowPrivateAddresses: boolean): string[] {
  if (urls.length > MAX_POINTERS) throw GW_ERR_API_VALIDATION.create(`crl_fetch.urls: at most ${MAX_POINTERS}`);
  const checked = urls.map((url, index) => {
    const field = `crl_fetch.urls[${index}]`;
    if (url.length > MAX_POINTER_LENGTH || !isFetchableUrl(url)) {
      throw GW_ERR_REVOCATION_URL_REFUSED.create(`${field}: only http and https URLs without credentials`);
    }
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const problem = isIP(host) === 0 ? undefined : outboundAddressProblem(host, allowPrivateAddresses);
    if (problem !== undefined) throw GW_ERR_REVOCATION_URL_REFUSED.create(`${field}: ${host} is ${problem}`);
    return url;
  });
  return [...new Set(checked)];
}

// ---------------------------------------------------------------------------------------------
// Block-list entries.

export interface CertificateBlockWire {
  sha256?: string;
  serial_number?: string;
  description?: string;
}

export interface CertificateBlockInput {
  readonly kind: CertificateBlockKind;
  readonly value: string;
  readonly description: string;
}

/** Exactly one of `sha256` (64 hex, colons allowed) and `serial_number` (hex, as openssl prints it). */
export function readBlockInput(wire: CertificateBlockWire): CertificateBlockInput {
  const description = (wire.description ?? '').trim();
  if (description.length > 1024) throw GW_ERR_API_VALIDATION.create('description: at most 1024 characters');
  if ((wire.sha256 === undefined) === (wire.serial_number === undefined)) {
    throw GW_ERR_API_VALIDATION.create('give exactly one of sha256 and serial_number');
  }
  if (wire.sha256 !== undefined) return { kind: 'sha256', value: blockSha256(wire.sha256), description };
  return { kind: 'serial', value: blockSerial(wire.serial_number ?? ''), description };
}

export function blockSha256(text: string): string {
  const hex = text
    .trim()
    .replace(/^sha256 fingerprint=/i, '')
    .replaceAll(':', '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw GW_ERR_API_VALIDATION.create('sha256 must be 64 hex characters (colons allowed)');
  return hex;
}

export function blockSerial(text: string): string {
  const hex = text
    .trim()
    .replace(/^serial=/i, '')
    .replaceAll(':', '');
  if (!/^[0-9A-Fa-f]{1,40}$/.test(hex)) {
    throw GW_ERR_API_VALIDATION.create(
      'serial_number must be 1 to 40 hex digits (colons allowed), as openssl prints it',
    );
  }
  return serialForLookup(hex);
}
