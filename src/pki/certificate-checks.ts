/**
 * Checks on certificates given as configuration: usable as a client-CA trust anchor, strong enough,
 * currently valid. Used at start-up (and later at upload), never per request.
 */
import 'reflect-metadata';
import { X509Certificate as NodeCertificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** Minimum RSA modulus accepted anywhere (NIST SP 800-131A; plain Node would accept 1024). */
export const MIN_RSA_BITS = 2048;
/** Maximum RSA modulus: bigger keys are a verification-cost DoS (Go CVE-2023-29409 caps at 8192). */
export const MAX_RSA_BITS = 8192;
const WEAK_HASHES = new Set(['MD2', 'MD5', 'SHA-1']);
const ALLOWED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/** Throws when the certificate's key or signature is weak. */
export function assertStrongCertificate(cert: NodeCertificate, label: string): void {
  const details = cert.publicKey.asymmetricKeyDetails ?? {};
  const type = cert.publicKey.asymmetricKeyType;
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS || bits % 8 !== 0) {
      throw new Error(`${label}: RSA key of ${bits} bits (accepted: ${MIN_RSA_BITS}–${MAX_RSA_BITS}, a multiple of 8)`);
    }
  } else if (type === 'ec') {
    if (!ALLOWED_CURVES.has(details.namedCurve ?? '')) {
      throw new Error(`${label}: EC curve ${details.namedCurve ?? 'with explicit parameters'} is not accepted`);
    }
  } else if (type !== 'ed25519' && type !== 'ed448') {
    throw new Error(`${label}: ${type ?? 'unknown'} keys are not accepted`);
  }
  const parsed = new x509.X509Certificate(cert.raw);
  const hash = (parsed.signatureAlgorithm as { hash?: { name?: string } }).hash?.name;
  if (hash !== undefined && WEAK_HASHES.has(hash.toUpperCase())) {
    throw new Error(`${label}: signed with ${hash}, which is not accepted`);
  }
}

/** Throws unless `cert` is within its validity period at `now`. */
export function assertCurrentlyValid(cert: NodeCertificate, label: string, now = Date.now()): void {
  if (Date.parse(cert.validFrom) > now) throw new Error(`${label}: not valid before ${cert.validFrom}`);
  if (Date.parse(cert.validTo) <= now) throw new Error(`${label}: expired on ${cert.validTo}`);
}

/**
 * Throws unless `cert` may anchor client-certificate trust: basicConstraints cA=TRUE (RFC 5280
 * §4.2.1.9) and, when keyUsage is present, keyCertSign (§4.2.1.3). A self-signed end-entity
 * certificate is refused: plain Node would trust it as a pinned identity (hostile-input.md class 11).
 */
export function assertCaCertificate(cert: NodeCertificate, label: string): void {
  const parsed = new x509.X509Certificate(cert.raw);
  if (parsed.getExtension(x509.BasicConstraintsExtension)?.ca !== true) {
    throw new Error(`${label}: not a CA certificate (basicConstraints cA is not TRUE)`);
  }
  const keyUsage = parsed.getExtension(x509.KeyUsagesExtension);
  if (keyUsage !== null && (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new Error(`${label}: CA certificate without keyCertSign in keyUsage`);
  }
}

/** True when the certificate is self-issued and its signature verifies with its own key. */
export function isSelfSigned(cert: NodeCertificate): boolean {
  return cert.subject === cert.issuer && cert.verify(cert.publicKey);
}
