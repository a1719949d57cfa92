/**
 * Records of revocation for the CAs an operator uploads (docs/adr/0014): per uploaded CA its
 * settings (CRL fetching, OCSP, what to do when the status cannot be known), the CRLs in force (one
 * per issuing CA certificate of the bundle, uploaded or fetched) and the state of CRL fetching; and
 * block lists by SHA-256 or serial, per uploaded CA or per account.
 */
import type { HexId, Uuid } from '../model/records.ts';

export const REVOCATION_FAIL_MODES = ['fail_closed', 'fail_open'] as const;
/** What a CA's clients get when their revocation status cannot be established. */
export type RevocationFailMode = (typeof REVOCATION_FAIL_MODES)[number];

export interface CrlFetchSettings {
  enabled: boolean;
  /** Where to fetch; [] = the distribution points named by the CA's client certificates. */
  urls: string[];
  refreshIntervalSeconds: number;
  timeoutMs: number;
}

export interface OcspSettings {
  enabled: boolean;
  timeoutMs: number;
  nonce: boolean;
  /** An answer is used at most this long, even when its nextUpdate is later. */
  maxCacheSeconds: number;
}

export interface CaRevocationSettings {
  onUnavailable: RevocationFailMode;
  crlFetch: CrlFetchSettings;
  ocsp: OcspSettings;
  /** Whether CRL and OCSP URLs may resolve to loopback and private ranges (never link-local). */
  allowPrivateAddresses: boolean;
}

/** The settings and CRL-fetching state of one uploaded CA. */
export interface CaRevocationRecord {
  mtlsCertificateId: Uuid;
  accountId: HexId;
  settings: CaRevocationSettings;
  /** CRL URLs read from the distribution points of the CA's verified client certificates. */
  discoveredCrlUrls: string[];
  /** When a gateway should fetch next (ISO); null: fetching is off. */
  nextFetchAt: string | null;
  lastFetchAt: string | null;
  lastFetchSuccessAt: string | null;
  /** Why the last fetch failed; null after a success. */
  lastFetchError: string | null;
  /** Failed fetches in a row (for the retry backoff). */
  fetchFailures: number;
  updatedAt: string;
}

export type CrlSource = 'upload' | 'fetch';

/** The CRL in force for one issuing CA certificate of an uploaded bundle. */
export interface CaCrlRecord {
  mtlsCertificateId: Uuid;
  accountId: HexId;
  /** Node-format SHA-256 fingerprint (`AB:CD:…`) of the issuing CA certificate. */
  issuerFingerprint: string;
  issuerSubject: string;
  /** Decimal (up to 20 octets: more than a JS number holds). */
  crlNumber: string;
  thisUpdate: string;
  nextUpdate: string;
  /** Normalised serials (uppercase hex, no leading zeros). */
  revokedSerials: string[];
  source: CrlSource;
  /** Where a fetched CRL came from; null for an upload. */
  sourceUrl: string | null;
  updatedAt: string;
}

export type CertificateBlockKind = 'sha256' | 'serial';
/** `scope` of a block that applies to every certificate on the account's hostnames. */
export const ACCOUNT_BLOCK_SCOPE = 'account';

export interface CertificateBlockRecord {
  id: HexId;
  accountId: HexId;
  /** ACCOUNT_BLOCK_SCOPE, or the id of the uploaded CA whose certificates it applies to. */
  scope: string;
  kind: CertificateBlockKind;
  /** sha256: lowercase hex of the leaf; serial: normalised (uppercase hex, no leading zeros). */
  value: string;
  description: string;
  createdOn: string;
}
