/**
 * certificationPaths: the paths from a client's leaf to a trust anchor, built from the certificates the client
 * sent and the CAs the listener trusts, by issuer name, key identifiers and signature (X509_check_issued, then
 * the signature itself). OpenSSL verified one such path at the handshake but does not say which; the gateway needs
 * it to know the certificates that actually vouch for the leaf: their validity (a client may send an unused,
 * expired cross-certificate along: it must not shorten the connection's validity), their name constraints, and
 * the anchor whose compatibility applies (docs/adr/0008).
 *
 * Preference, like OpenSSL's X509_V_FLAG_TRUSTED_FIRST: at each step a trusted CA before a sent certificate,
 * then a certificate valid now before one that is not. A path ends at a trusted self-issued CA (OpenSSL anchors
 * trust only at a root). The search is bounded in depth, in paths returned and in signature checks, so a client
 * sending many certificates with one name cannot make it expensive.
 */
import type { X509Certificate } from 'node:crypto';

/** Longest path, leaf and anchor included (OpenSSL's default depth limit is 100; real chains have 2 to 4). */
export const MAX_PATH_LENGTH = 8;
/** Signature checks one search may make. */
const MAX_SIGNATURE_CHECKS = 32;

export interface PathSearch {
  readonly leaf: X509Certificate;
  /** What the client sent after its leaf, in any order. */
  readonly sent: readonly X509Certificate[];
  readonly trusted: readonly X509Certificate[];
  readonly nowMs: number;
  /** Most paths returned; default 4. */
  readonly limit?: number;
}

/** Paths `[leaf, ...intermediates, anchor]`, preferred first; [] when none can be built. */
export function certificationPaths(search: PathSearch): X509Certificate[][] {
  const limit = search.limit ?? 4;
  const trusted = new Set(search.trusted.map((ca) => ca.fingerprint256));
  const candidates = dedupe([...search.trusted, ...search.sent]);
  const rank = (certificate: X509Certificate): number =>
    (trusted.has(certificate.fingerprint256) ? 0 : 2) + (validAt(certificate, search.nowMs) ? 0 : 1);
  const ordered = [...candidates].sort((a, b) => rank(a) - rank(b));
  const verified = new Map<string, boolean>();
  let checks = 0;
  const issues = (issuer: X509Certificate, subject: X509Certificate): boolean => {
    const key = `${subject.fingerprint256}>${issuer.fingerprint256}`;
    let result = verified.get(key);
    if (result === undefined) {
      if (!subject.checkIssued(issuer)) result = false;
      else if (checks >= MAX_SIGNATURE_CHECKS) return false;
      else {
        checks++;
        result = subject.verify(issuer.publicKey);
      }
      verified.set(key, result);
    }
    return result;
  };
  const paths: X509Certificate[][] = [];
  const extend = (path: X509Certificate[]): void => {
    const current = path.at(-1);
    if (current === undefined || paths.length >= limit) return;
    if (trusted.has(current.fingerprint256) && current.subject === current.issuer) {
      paths.push(path);
      return;
    }
    if (path.length >= MAX_PATH_LENGTH) return;
    for (const candidate of ordered) {
      if (path.some((certificate) => certificate.fingerprint256 === candidate.fingerprint256)) continue;
      if (issues(candidate, current)) extend([...path, candidate]);
      if (paths.length >= limit) return;
    }
  };
  extend([search.leaf]);
  return paths;
}

/** The certificate is within its validity period at `nowMs` (notAfter excluded, as OpenSSL counts it). */
export function validAt(certificate: X509Certificate, nowMs: number): boolean {
  return Date.parse(certificate.validFrom) <= nowMs && nowMs < Date.parse(certificate.validTo);
}

function dedupe(certificates: readonly X509Certificate[]): X509Certificate[] {
  const seen = new Set<string>();
  return certificates.filter((certificate) => {
    if (seen.has(certificate.fingerprint256)) return false;
    seen.add(certificate.fingerprint256);
    return true;
  });
}
