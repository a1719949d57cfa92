/**
 * ClientCaSet: the CAs a listener trusts for client certificates, validated once at configuration time.
 *
 * OpenSSL (and so Node) only anchors trust at a self-signed root: an intermediate alone fails with
 * UNABLE_TO_GET_ISSUER_CERT (hostile-input.md class 11). So the set must contain a root, and every
 * intermediate in it must chain to a certificate of the set; anything else is refused rather than
 * silently trusting nothing or something else.
 *
 * Each CA is also held to the client-chain policy's CA rules (client-chain-policy.ts checkCaCertificate)
 * under the set's compatibility: a CA that every client chain would fail on is refused here, at start,
 * with the rule, instead of refusing every client later.
 */
import { X509Certificate as NodeCertificate } from 'node:crypto';
import { readPemBlocksOf, toPem } from './pem.ts';
import { checkCaCertificate, LEGACY_RELAXED_RULES, type ChainCompatibility } from './client-chain-policy.ts';
import {
  assertCaCertificate,
  assertCurrentlyValid,
  assertStrongCertificate,
  isSelfSigned,
} from './certificate-checks.ts';

export interface CaSource {
  /** Where the PEM came from, for messages (a file name). */
  readonly source: string;
  readonly pem: string;
}

export interface ClientCaSet {
  readonly certificates: readonly NodeCertificate[];
  /** PEM of every CA, for the TLS `ca` option. */
  readonly pems: readonly string[];
  readonly compatibility: ChainCompatibility;
  /** Node-format fingerprints of the CAs judged with `legacy` compatibility: all of them, or none. */
  readonly legacyFingerprints: ReadonlySet<string>;
}

export interface ClientCaSetOptions {
  /** Default the current time. */
  readonly now?: number;
  /** Default `strict`. */
  readonly compatibility?: ChainCompatibility;
  /** How the user switches to `legacy` (a command-line flag), for the refusal of a rule `legacy` relaxes. */
  readonly legacyHint?: string;
}

/** Maximum CAs in one set: a bundle of thousands of certificates is an abuse, not a configuration. */
export const MAX_CLIENT_CAS = 100;

export function buildClientCaSet(sources: readonly CaSource[], options: ClientCaSetOptions = {}): ClientCaSet {
  const now = options.now ?? Date.now();
  const compatibility = options.compatibility ?? 'strict';
  const certificates: NodeCertificate[] = [];
  const seen = new Set<string>();
  for (const { source, pem } of sources) {
    const ders = readPemBlocksOf(pem, 'CERTIFICATE');
    if (ders.length === 0) throw new Error(`${source}: no certificate found`);
    ders.forEach((der, index) => {
      const label = ders.length > 1 ? `${source} (certificate ${index + 1})` : source;
      let cert: NodeCertificate;
      try {
        cert = new NodeCertificate(der);
      } catch {
        throw new Error(`${label}: not a parseable X.509 certificate`);
      }
      assertCaCertificate(cert, label);
      assertStrongCertificate(cert, label);
      assertCurrentlyValid(cert, label, now);
      const found = checkCaCertificate(cert.raw, compatibility, isSelfSigned(cert) ? 'root' : 'intermediate');
      if (found !== undefined) {
        const hint = LEGACY_RELAXED_RULES.has(found.rule) && options.legacyHint ? ` (${options.legacyHint})` : '';
        throw new Error(`${label}: ${found.rule}: ${found.detail}${hint}`);
      }
      if (seen.has(cert.fingerprint256)) return;
      seen.add(cert.fingerprint256);
      certificates.push(cert);
    });
  }
  if (certificates.length > MAX_CLIENT_CAS) throw new Error(`more than ${MAX_CLIENT_CAS} CA certificates`);
  if (!certificates.some(isSelfSigned)) {
    throw new Error('no self-signed root CA given: include the root that anchors your client certificates');
  }
  for (const cert of certificates) {
    if (isSelfSigned(cert)) continue;
    const issuer = certificates.find((candidate) => candidate !== cert && cert.checkIssued(candidate));
    if (issuer === undefined || !cert.verify(issuer.publicKey)) {
      throw new Error(`intermediate CA "${cert.subject.replaceAll('\n', ', ')}" does not chain to a CA given`);
    }
  }
  return {
    certificates,
    pems: certificates.map((cert) => toPem(cert.raw, 'CERTIFICATE')),
    compatibility,
    legacyFingerprints: new Set(compatibility === 'legacy' ? certificates.map((cert) => cert.fingerprint256) : []),
  };
}
