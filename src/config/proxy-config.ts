/**
 * ProxyConfig: the validated, immutable configuration of `portcullis proxy`. Everything that can be
 * wrong is found here, before a socket is opened: a file that cannot be read, a CA that is not a CA,
 * a key that does not match its certificate, a stale CRL. Nothing is ever weakened to make it start.
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import {
  GW_ERR_CONFIG_CA_INVALID,
  GW_ERR_CONFIG_CERT_INVALID,
  GW_ERR_CONFIG_CRL_INVALID,
  GW_ERR_CONFIG_FILE_UNREADABLE,
  GW_ERR_CONFIG_KEY_INVALID,
  GW_ERR_CONFIG_KEY_MISMATCH,
  GW_ERR_USAGE,
} from '../errors/index.ts';
import { buildClientCaSet, type ClientCaSet } from '../pki/client-ca-set.ts';
import { CHAIN_COMPATIBILITIES, type ChainCompatibility } from '../pki/client-chain-policy.ts';
import { buildRevocationIndex, type RevocationIndex } from '../pki/revocation-index.ts';
import { readPemBlocksOf } from '../pki/pem.ts';
import { parseSessionTickets } from './session-tickets.ts';
import { assertCurrentlyValid, assertStrongCertificate } from '../pki/certificate-checks.ts';
import { parseListenAddress, type ListenAddress } from './listen-address.ts';
import { parseUpstreamTarget, type UpstreamTarget } from './upstream-target.ts';

import { IDENTITY_FORMATS, type IdentityFormat } from './identity-formats.ts';
import { parseDuration } from './duration.ts';
import { parseConnectionLimits, type ConnectionLimits, type ConnectionLimitsInput } from './connection-limits.ts';

export type { IdentityFormat };

/** Options as the command line gives them (strings), before validation. */
export interface ProxyOptionsInput extends ConnectionLimitsInput {
  listen: string;
  cert: string;
  key: string;
  clientCa: string[];
  crl?: string[];
  upstream: string;
  upstreamCa?: string;
  forwardIdentity: string;
  allowCert?: string[];
  upstreamTimeout: string;
  connectTimeout: string;
  shutdownTimeout: string;
  /** `on` (default) or `off`. */
  sessionTickets?: string;
  /** `strict` (default) or `legacy`: the client-chain rules for every --client-ca (docs/adr/0008). */
  clientCaCompatibility?: string;
}

export interface ProxyConfig {
  readonly listen: ListenAddress;
  readonly serverCertPem: string;
  readonly serverKeyPem: string;
  readonly clientCas: ClientCaSet;
  readonly revocations: RevocationIndex;
  readonly upstream: UpstreamTarget;
  /** PEM of CAs trusted for an https upstream; undefined = the system store. */
  readonly upstreamCaPem: string | undefined;
  readonly forwardIdentity: readonly IdentityFormat[];
  /** Lowercase hex SHA-256 of allowed leaves; undefined = any verified client. */
  readonly allowedFingerprints: ReadonlySet<string> | undefined;
  readonly upstreamTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  /** Stateless TLS session tickets (resumption); see tls-server-options.ts for the trade-off. */
  readonly sessionTickets: boolean;
  readonly connectionLimits: ConnectionLimits;
}

export async function loadProxyConfig(input: ProxyOptionsInput): Promise<ProxyConfig> {
  // Usage errors first (exit 2), so a typo never costs a file read.
  const listen = parseListenAddress(input.listen);
  const upstream = parseUpstreamTarget(input.upstream);
  const forwardIdentity = parseIdentityFormats(input.forwardIdentity);
  const allowedFingerprints = input.allowCert?.length ? new Set(input.allowCert.map(parseFingerprint)) : undefined;
  const upstreamTimeoutMs = parseDuration(input.upstreamTimeout, '--upstream-timeout');
  const connectTimeoutMs = parseDuration(input.connectTimeout, '--connect-timeout');
  const shutdownTimeoutMs = parseDuration(input.shutdownTimeout, '--shutdown-timeout');
  const sessionTickets = parseSessionTickets(input.sessionTickets);
  const connectionLimits = parseConnectionLimits(input);
  const compatibility = parseCompatibility(input.clientCaCompatibility);
  if (input.clientCa.length === 0) throw GW_ERR_USAGE.create('at least one --client-ca is required');

  const [serverCertPem, serverKeyPem, upstreamCaPem] = await Promise.all([
    readText(input.cert),
    readText(input.key),
    input.upstreamCa === undefined ? undefined : readText(input.upstreamCa),
  ]);
  checkServerCredentials(serverCertPem, serverKeyPem, input.cert, input.key);

  const caSources = await Promise.all(
    input.clientCa.map(async (file) => ({ source: file, pem: await readText(file) })),
  );
  let clientCas: ClientCaSet;
  try {
    clientCas = buildClientCaSet(caSources, {
      compatibility,
      legacyHint: `a legacy private CA is accepted with ${COMPATIBILITY_OPTION} legacy`,
    });
  } catch (error) {
    throw GW_ERR_CONFIG_CA_INVALID.create((error as Error).message, error);
  }
  const crlSources = await Promise.all(
    (input.crl ?? []).map(async (file) => ({ source: file, pem: await readText(file) })),
  );
  let revocations: RevocationIndex;
  try {
    revocations = await buildRevocationIndex(crlSources, clientCas.certificates);
  } catch (error) {
    throw GW_ERR_CONFIG_CRL_INVALID.create((error as Error).message, error);
  }
  return Object.freeze({
    listen,
    serverCertPem,
    serverKeyPem,
    clientCas,
    revocations,
    upstream,
    upstreamCaPem,
    forwardIdentity,
    allowedFingerprints,
    upstreamTimeoutMs,
    connectTimeoutMs,
    shutdownTimeoutMs,
    sessionTickets,
    connectionLimits,
  });
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw GW_ERR_CONFIG_FILE_UNREADABLE.create(`${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, error);
  }
}

function checkServerCredentials(certPem: string, keyPem: string, certFile: string, keyFile: string): void {
  let leaf: X509Certificate;
  try {
    const ders = readPemBlocksOf(certPem, 'CERTIFICATE');
    if (ders[0] === undefined) throw new Error('no certificate');
    leaf = new X509Certificate(ders[0]);
    assertStrongCertificate(leaf, certFile);
    assertCurrentlyValid(leaf, certFile);
  } catch (error) {
    throw GW_ERR_CONFIG_CERT_INVALID.create(`${certFile}: ${(error as Error).message}`, error);
  }
  let key: KeyObject;
  try {
    // Never echo the key's content in a message: only the file name and the reason.
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw GW_ERR_CONFIG_KEY_INVALID.create(`${keyFile} is not a readable unencrypted PEM private key`, error);
  }
  if (!leaf.checkPrivateKey(key)) throw GW_ERR_CONFIG_KEY_MISMATCH.create(`${keyFile} does not belong to ${certFile}`);
}

export const COMPATIBILITY_OPTION = '--client-ca-compatibility';

function parseCompatibility(text: string | undefined): ChainCompatibility {
  const value = text ?? 'strict';
  const known = CHAIN_COMPATIBILITIES.find((compatibility) => compatibility === value);
  if (known === undefined) {
    throw GW_ERR_USAGE.create(`${COMPATIBILITY_OPTION} takes ${CHAIN_COMPATIBILITIES.join(' or ')}; got "${value}"`);
  }
  return known;
}

function parseIdentityFormats(text: string): IdentityFormat[] {
  if (text === 'none') return [];
  const formats = text.split(',').map((part) => part.trim().toLowerCase());
  for (const format of formats) {
    if (!(IDENTITY_FORMATS as readonly string[]).includes(format)) {
      throw GW_ERR_USAGE.create(
        `--forward-identity takes none or a list of ${IDENTITY_FORMATS.join(', ')}; got "${format}"`,
      );
    }
  }
  return [...new Set(formats)] as IdentityFormat[];
}

/**
 * Accepts `AB:CD:…` or plain hex, any case, and what `openssl x509 -noout -fingerprint -sha256`
 * prints (`sha256 Fingerprint=AB:CD:…`; `SHA256 Fingerprint=` before OpenSSL 3); returns lowercase
 * hex without colons.
 */
export function parseFingerprint(text: string): string {
  const hex = text
    .trim()
    .replace(/^sha256 fingerprint=/i, '')
    .replaceAll(':', '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw GW_ERR_USAGE.create(`--allow-cert takes a SHA-256 fingerprint (64 hex digits), got "${text}"`);
  return hex;
}
