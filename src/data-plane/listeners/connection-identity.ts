/**
 * ConnectionIdentity: what the client proved at the TLS handshake, read ONCE per connection in the
 * server's 'secureConnection' handler and shared by every request (HTTP/1.1 keep-alive) and every
 * stream (HTTP/2) on that connection. Certificate fields for headers are parsed lazily, once.
 *
 * Security posture (hostile-input.md class 9): TLS getters are only called here, on a socket whose
 * handshake succeeded. Never read TLS state in a 'close' handler: on Node 20 that segfaults for
 * sockets whose handshake failed.
 */
import type { TLSSocket } from 'node:tls';
import { createHash, type X509Certificate } from 'node:crypto';
import { readCertificateFields, type CertificateFields } from '../../pki/certificate-fields.ts';
import type { ChainCompatibility } from '../../pki/client-chain-policy.ts';
import { parseChainCertificate } from '../../pki/chain-certificate.ts';
import { serialForLookup } from '../../pki/serial.ts';
import { keyViolation } from '../../pki/chain-rule-key.ts';
import type { ChainViolation } from '../../pki/chain-violation.ts';
import type { CertificateFieldsCache } from './certificate-fields-cache.ts';
import type { ChainVerdictCache, ClientTrust } from './client-chain-verdict.ts';
import type { AcceptedConnection } from './sni-router.ts';

export type { ClientTrust } from './client-chain-verdict.ts';

/** id-kp-clientAuth (RFC 5280 §4.2.1.12). */
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** More certificates than this after the leaf are not walked (OpenSSL's default verify depth is 100). */
const MAX_CHAIN = 10;

/** What the listener keeps across connections so that a known client costs no parsing. */
export interface IdentityCaches {
  readonly fields: CertificateFieldsCache;
  readonly chains: ChainVerdictCache;
}

export interface ConnectionIdentity {
  readonly presented: boolean;
  /**
   * Chain verified by OpenSSL against the listener's CAs, EKU lists clientAuth, and the verified path meets the
   * client-chain policy (pki/client-chain-policy.ts) under its trust anchor's compatibility.
   */
  readonly verified: boolean;
  /** Why verification failed, for the log only (never sent to the client): a policy rule comes first, `rule: …`. */
  readonly failure: string | undefined;
  readonly leaf: X509Certificate | undefined;
  /** Lowercase hex SHA-256 of the leaf DER; "" when none. */
  readonly fingerprint256: string;
  /**
   * The leaf's serial in lookup form (pki/serial.ts serialForLookup), read once per connection: every request checks
   * it against revocation sets, and node:crypto's `serialNumber` getter makes a new string on each read. "" when none.
   */
  readonly serialKey: string;
  /** Node-format fingerprint (`AB:CD:…`) of the certificate that issued the leaf; "" when unknown. */
  readonly issuerFingerprint256: string;
  /** Intermediates as the client sent them after its leaf, up to a self-issued root (RFC 9440 Client-Cert-Chain). */
  readonly chain: readonly X509Certificate[];
  /**
   * Intermediates of the verified path, leaf and trust anchor excluded: it may hold a CA of the listener the client
   * did not send, and leaves out what the client sent that no path uses. `chain` when no path was built.
   */
  readonly verifiedChain: readonly X509Certificate[];
  /** The compatibility the verified path was judged under (its anchor's); undefined when none was judged. */
  readonly compatibility: ChainCompatibility | undefined;
  /**
   * When every certificate of the verified path (leaf, intermediates, trust anchor) is valid, in epoch
   * ms: from the latest notBefore (included) to the earliest notAfter (excluded, as OpenSSL counts
   * it — RFC 5280 §4.1.2.5 includes it; hostile-input.md class 12 — so an open connection gets the verdict
   * a new handshake would). NaN when a date cannot be read, which no time satisfies. OpenSSL checks
   * this at the handshake only, so requests check it again (`validAt`): a connection — or a session
   * resumed later, which OpenSSL does not verify again — can outlive a certificate.
   */
  readonly validFromMs: number;
  readonly expiresAtMs: number;
  /**
   * Parsed fields of the leaf (DNs, serials, SKIs, dates), read at the handshake; undefined when no
   * certificate, or when the leaf cannot be parsed (then `verified` is false).
   */
  fields(): CertificateFields | undefined;
  /**
   * Lowercase hex SHA-256 of the leaf's SubjectPublicKeyInfo DER (computed on first use, once per
   * connection): the identity a key bound with `spki_sha256` keeps across certificate renewals.
   */
  spkiSha256(): string;
  /** Per-connection memo slot for values derived from the identity (e.g. forwarded headers). */
  memo: unknown;
  /** Multi-host listener only: the host policy and snapshot the connection was accepted under. */
  readonly accepted?: AcceptedConnection;
  /** The client CAs the handshake verified against (the listener's, as they were then). */
  readonly verifiedUnder: readonly X509Certificate[];
}

const NO_CERTIFICATE: ConnectionIdentity = Object.freeze({
  presented: false,
  verified: false,
  failure: 'no client certificate presented',
  leaf: undefined,
  fingerprint256: '',
  serialKey: '',
  issuerFingerprint256: '',
  chain: [],
  verifiedChain: [],
  compatibility: undefined,
  validFromMs: Number.NaN,
  expiresAtMs: Number.NaN,
  verifiedUnder: [],
  fields: () => undefined,
  spkiSha256: () => '',
  memo: undefined,
});

/**
 * `trust` holds the listener's client CAs: the verified path is rebuilt among them and what the client sent
 * (client-chain-verdict.ts), which also finds the leaf's issuer (to look up revocation) when the client sent no
 * intermediate. Its verdict and the leaf's fields are cached per certificate (`caches`).
 */
export function readConnectionIdentity(
  socket: TLSSocket,
  trust: ClientTrust,
  caches: IdentityCaches,
  accepted?: AcceptedConnection,
): ConnectionIdentity {
  const { trustedCas } = trust;
  const leaf = socket.getPeerX509Certificate();
  if (leaf === undefined) {
    return accepted === undefined
      ? { ...NO_CERTIFICATE, verifiedUnder: trustedCas }
      : { ...NO_CERTIFICATE, verifiedUnder: trustedCas, accepted };
  }
  const opensslFailure = verificationFailure(socket, leaf);
  // Our policy judges only what OpenSSL accepted: a refused chain needs no second opinion.
  const verdict =
    opensslFailure === undefined ? caches.chains.verdict(leaf, sentAfter(leaf), trust, Date.now()) : undefined;
  const path = verdict?.path;
  const chain = intermediatesOf(leaf);
  const verifiedChain = path === undefined ? chain : path.slice(1, -1);
  const issuer = path?.[1] ?? leaf.issuerCertificate ?? trustedCas.find((ca) => leaf.checkIssued(ca));
  const fingerprint256 = leaf.fingerprint256.replaceAll(':', '').toLowerCase();
  const issuerFingerprint256 = issuer?.fingerprint256 ?? '';
  // Parsed now, once per certificate (the cache): a leaf our strict parser refuses (a duplicate
  // extension, an unparsable SAN, trailing bytes) is an unverified certificate, recorded as a value
  // here, never an exception later in a request or an analytics record.
  const fields = parsedFields(caches.fields, `${fingerprint256}/${issuerFingerprint256}`, leaf, issuer);
  const violation = verdict?.violation;
  const failure =
    opensslFailure ??
    (violation === undefined ? undefined : `${violation.rule}: ${violation.detail}`) ??
    (fields === undefined ? 'client certificate cannot be parsed' : undefined);
  // Without a verified path (the connection is unverified anyway): what the client sent, up to the CA that
  // issued its top certificate.
  const top = chain.at(-1);
  const anchor = top === undefined ? issuer : trustedCas.find((ca) => top.checkIssued(ca));
  const validityPath = path ?? (anchor === undefined ? [leaf, ...chain] : [leaf, ...chain, anchor]);
  let spki: string | undefined;
  return {
    presented: true,
    verified: failure === undefined,
    failure,
    leaf,
    fingerprint256,
    serialKey: serialForLookup(leaf.serialNumber),
    issuerFingerprint256,
    chain,
    verifiedChain,
    compatibility: verdict?.compatibility,
    validFromMs: Math.max(...validityPath.map((cert) => Date.parse(cert.validFrom))),
    expiresAtMs: Math.min(...validityPath.map((cert) => Date.parse(cert.validTo))),
    fields: () => fields,
    spkiSha256() {
      spki ??= createHash('sha256')
        .update(leaf.publicKey.export({ type: 'spki', format: 'der' }))
        .digest('hex');
      return spki;
    },
    memo: undefined,
    verifiedUnder: trustedCas,
    ...(accepted === undefined ? {} : { accepted }),
  };
}

/**
 * The leaf's fields, or undefined when our parser refuses it. Issuer fields (serial, SKI) come from
 * the issuer certificate: it is part of the cache key. Failures are not cached: they are rare, and
 * a hostile client cannot grow the cache with them.
 */
function parsedFields(
  cache: CertificateFieldsCache,
  key: string,
  leaf: X509Certificate,
  issuer: X509Certificate | undefined,
): CertificateFields | undefined {
  try {
    return cache.get(key, () => readCertificateFields(leaf.raw, issuer?.raw));
  } catch {
    return undefined;
  }
}

/** The certificates of the connection are within their validity period at `nowMs` (see validFromMs). */
export function validAt(identity: Pick<ConnectionIdentity, 'validFromMs' | 'expiresAtMs'>, nowMs: number): boolean {
  return nowMs >= identity.validFromMs && nowMs < identity.expiresAtMs;
}

/**
 * Whether a chain (leaf, then intermediates: the verified path's) ends at one of `cas`: its top is one
 * of them or is issued and signed by one. For a trust set that changed after the handshake (a CA
 * removed): the handshake's verification no longer proves it.
 */
export function chainEndsAtOneOf(
  leaf: X509Certificate,
  chain: readonly X509Certificate[],
  cas: readonly X509Certificate[],
): boolean {
  const top = chain.at(-1) ?? leaf;
  return cas.some(
    (ca) => ca.fingerprint256 === top.fingerprint256 || (top.checkIssued(ca) && top.verify(ca.publicKey)),
  );
}

/** Every certificate the client sent after its leaf, in the order sent (Node links them so), at most MAX_CHAIN. */
function sentAfter(leaf: X509Certificate): X509Certificate[] {
  const sent: X509Certificate[] = [];
  const seen = new Set([leaf.fingerprint256]);
  for (
    let cert = leaf.issuerCertificate;
    cert !== undefined && sent.length < MAX_CHAIN && !seen.has(cert.fingerprint256);
    cert = cert.issuerCertificate
  ) {
    seen.add(cert.fingerprint256);
    sent.push(cert);
  }
  return sent;
}

/** Intermediates above the leaf as Node linked them (the client's chain), up to a self-issued root. */
function intermediatesOf(leaf: X509Certificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  for (
    let cert = leaf.issuerCertificate;
    cert !== undefined && chain.length < MAX_CHAIN;
    cert = cert.issuerCertificate
  ) {
    if (cert.subject === cert.issuer || chain.includes(cert)) break;
    chain.push(cert);
  }
  return chain;
}

function verificationFailure(socket: TLSSocket, leaf: X509Certificate): string | undefined {
  if (!socket.authorized) return opensslRefusal(String(socket.authorizationError), leaf);
  // OpenSSL's ssl_client purpose rejects serverAuth-only leaves, but accepts a leaf with no EKU at
  // all (RFC 5280 reads that as "any purpose"). We require clientAuth to be stated: fail closed.
  // @types/node says string[], but Node returns undefined when the certificate has no EKU.
  const extendedKeyUsages = leaf.keyUsage as string[] | undefined;
  if (!(extendedKeyUsages ?? []).includes(EKU_CLIENT_AUTH)) return 'leaf certificate does not allow clientAuth (EKU)';
  // A CA leaf (cA=TRUE even without keyCertSign, which `leaf.ca` misses) is the policy's `leaf-is-ca`.
  return undefined;
}

/**
 * OpenSSL's reason for a refused chain, led by our key rule when the leaf breaks it. The security level decides
 * whether OpenSSL refuses a weak key itself (OpenSSL 3.5, in Node 24, refuses an RSA-1024 leaf and names it
 * only `UNSPECIFIED` to Node; 3.0, in Node 20, accepts it and our policy refuses it): the operator reads the same
 * rule in the log either way.
 */
function opensslRefusal(reason: string, leaf: X509Certificate): string {
  let weakKey: ChainViolation | undefined;
  try {
    const parsed = parseChainCertificate(leaf.raw);
    weakKey = parsed === undefined ? undefined : keyViolation(parsed);
  } catch {
    // A key our decoder cannot read: OpenSSL's reason stands alone.
  }
  return weakKey === undefined ? reason : `${weakKey.rule}: ${weakKey.detail} (OpenSSL: ${reason})`;
}
