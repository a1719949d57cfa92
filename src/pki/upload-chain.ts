/**
 * The role and chain checks of an mTLS upload, over certificates that already passed uploaded-certificate.ts
 * (hostile-input.md "Wrong kind of certificate uploaded as a CA", "Bundles").
 *
 * A CA upload (`ca: true`) is a set of trust anchors for client certificates. Every certificate must be a CA:
 * basicConstraints cA=TRUE and critical (RFC 5280 §4.2.1.9), keyUsage with keyCertSign (§4.2.1.3). OpenSSL, and
 * so Node, anchors trust only at a self-signed root (an intermediate alone fails with
 * UNABLE_TO_GET_ISSUER_CERT), so the bundle must hold one, and every other certificate must chain to a root
 * of the bundle: no unrelated certificates, no cross-signing loops with no way out.
 *
 * A leaf upload (`ca: false`) is a certificate the gateway presents as a client: the leaf first, then, in
 * order, the CAs that issued it (RFC 8446 §4.4.2 order); the last may be issued by a CA outside the upload.
 * The leaf must not be a CA and must allow digitalSignature (every TLS handshake it takes part in is signed with
 * its key), and, when the caller says what it is for, its extendedKeyUsage must allow that.
 */
import { KeyUsageFlags, id_ce_extKeyUsage, ExtendedKeyUsage } from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { UploadedCertificate } from './uploaded-certificate.ts';
import type { ChainCompatibility } from './chain-violation.ts';

/** What a leaf upload is for: a client certificate the gateway presents, or a server (edge) certificate. */
export type LeafUsage = 'clientAuth' | 'serverAuth';

const USAGE_OIDS: Record<LeafUsage, string> = {
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/**
 * `legacy` compatibility (docs/adr/0008) accepts a self-signed root whose basicConstraints is not critical; every
 * other CA of the bundle must have it critical either way.
 */
export function checkCaBundle(
  certificates: readonly UploadedCertificate[],
  compatibility: ChainCompatibility = 'strict',
): void {
  checkDuplicates(certificates);
  for (const certificate of certificates) {
    checkCa(certificate, 'uploaded as a CA', compatibility === 'legacy' && isSelfSigned(certificate));
  }
  const roots = certificates.filter(isSelfSigned);
  if (roots.length === 0) {
    throw new Error(
      'no self-signed root CA in the bundle: Node (OpenSSL) anchors trust only at a self-signed root, so an ' +
        'intermediate alone would verify no client certificate; include the root that issued it',
    );
  }
  const issuers = new Map<UploadedCertificate, UploadedCertificate[]>();
  for (const certificate of certificates) {
    if (roots.includes(certificate)) continue;
    const found = certificates.filter((candidate) => candidate !== certificate && issues(candidate, certificate));
    if (found.length === 0) {
      throw new Error(
        certificate.selfIssued
          ? `${certificate.label}: self-issued, but its signature does not verify with its own key`
          : `${certificate.label}: not issued by any other certificate of the bundle (an unrelated certificate, or its issuer is missing)`,
      );
    }
    issuers.set(certificate, found);
  }
  // Certificates whose chain reaches a root, grown from the roots until nothing changes (loops never join).
  const anchored = new Set<UploadedCertificate>(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [certificate, found] of issuers) {
      if (anchored.has(certificate) || !found.some((issuer) => anchored.has(issuer))) continue;
      anchored.add(certificate);
      grew = true;
    }
  }
  const loose = certificates.find((certificate) => !anchored.has(certificate));
  if (loose !== undefined) throw new Error(`${loose.label}: does not chain to a self-signed root of the bundle`);
}

/** `usage`, when given, must be allowed by the leaf's extendedKeyUsage if it has one (RFC 5280 §4.2.1.12). */
export function checkLeafChain(certificates: readonly UploadedCertificate[], usage?: LeafUsage): void {
  checkDuplicates(certificates);
  const [leaf, ...chain] = certificates;
  if (leaf === undefined) throw new Error('no certificate given');
  if (leaf.basicConstraints?.ca === true) {
    throw new Error(
      `${leaf.label}: a CA certificate; a leaf upload (ca: false) starts with the leaf (upload CAs with ca: true)`,
    );
  }
  if (leaf.keyUsage !== undefined && (leaf.keyUsage & KeyUsageFlags.digitalSignature) === 0) {
    throw new Error(`${leaf.label}: keyUsage without digitalSignature cannot sign a TLS handshake`);
  }
  const eku = leaf.extensions.get(id_ce_extKeyUsage);
  if (usage !== undefined && eku !== undefined) {
    const usages = [...AsnConvert.parse(eku.extnValue, ExtendedKeyUsage)];
    if (!usages.includes(USAGE_OIDS[usage]) && !usages.includes(ANY_EXTENDED_KEY_USAGE)) {
      throw new Error(`${leaf.label}: extendedKeyUsage does not include ${usage}`);
    }
  }
  let previous = leaf;
  for (const certificate of chain) {
    checkCa(certificate, 'in the chain of the leaf');
    if (!issues(certificate, previous)) {
      throw new Error(
        `${certificate.label}: did not issue ${previous.label} (after the leaf, each certificate must be the issuer of the one before it)`,
      );
    }
    previous = certificate;
  }
}

function checkCa(certificate: UploadedCertificate, role: string, nonCriticalAllowed = false): void {
  const basic = certificate.basicConstraints;
  if (basic === undefined) {
    throw new Error(`${certificate.label}: ${role} but has no basicConstraints extension, so it is not a CA`);
  }
  if (!basic.ca) {
    const kind = isSelfSigned(certificate)
      ? 'a self-signed end-entity certificate (Node would trust it as a pinned identity, not as a CA)'
      : 'an end-entity (leaf) certificate, basicConstraints CA:FALSE';
    throw new Error(`${certificate.label}: ${role} but is ${kind}; upload the CA that issued your client certificates`);
  }
  if (!basic.critical && !nonCriticalAllowed) {
    throw new Error(`${certificate.label}: basicConstraints of a CA must be critical (RFC 5280 §4.2.1.9)`);
  }
  if (certificate.keyUsage === undefined) {
    throw new Error(`${certificate.label}: a CA without a keyUsage extension (RFC 5280 §4.2.1.3 requires keyCertSign)`);
  }
  if ((certificate.keyUsage & KeyUsageFlags.keyCertSign) === 0) {
    throw new Error(`${certificate.label}: a CA without keyCertSign in keyUsage may not issue certificates`);
  }
  if (certificate.asn.tbsCertificate.subject.length === 0) {
    throw new Error(`${certificate.label}: a CA with an empty subject (RFC 5280 §4.1.2.6)`);
  }
}

function checkDuplicates(certificates: readonly UploadedCertificate[]): void {
  const seen = new Map<string, UploadedCertificate>();
  for (const certificate of certificates) {
    const first = seen.get(certificate.fingerprintSha256);
    if (first !== undefined) throw new Error(`${certificate.label}: a duplicate of ${first.label}`);
    seen.set(certificate.fingerprintSha256, certificate);
  }
}

/** True when `issuer`'s name and key identifiers match `subject`'s issuer and its key verifies the signature. */
function issues(issuer: UploadedCertificate, subject: UploadedCertificate): boolean {
  return subject.node.checkIssued(issuer.node) && subject.node.verify(issuer.node.publicKey);
}

function isSelfSigned(certificate: UploadedCertificate): boolean {
  return certificate.selfIssued && certificate.node.verify(certificate.node.publicKey);
}
