/**
 * The key rule for every certificate of a client's path. OpenSSL, at the security level Node runs it, verifies
 * RSA-1024, DSA and P-192 client certificates; the gateway accepts:
 *
 * - RSA (rsaEncryption or RSASSA-PSS keys) of at least 2048 bits (NIST SP 800-131A), the modulus a whole number
 *   of octets (a 2047- or 2044-bit modulus is the mark of a broken generator): `weak-rsa-key`,
 *   `rsa-modulus-not-multiple-of-8`;
 * - ECDSA on a named curve P-256, P-384 or P-521 (RFC 5480 §2.1.1; explicit parameters are refused, the input of
 *   CVE-2022-0778): `weak-ec-curve`;
 * - Ed25519 and Ed448 (RFC 8410);
 * - nothing else: DSA is `dsa-key` (withdrawn from FIPS 186-5), any other algorithm `unsupported-key-algorithm`.
 *
 * The key is identified from the SubjectPublicKeyInfo ASN.1 (public-key-description.ts) before OpenSSL decodes
 * it; only RSA keys are decoded, to read the modulus size.
 */
import { createPublicKey } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { ChainCertificate } from './chain-certificate.ts';
import { violation, type ChainViolation } from './chain-violation.ts';
import { describePublicKey } from './public-key-description.ts';

export const CHAIN_MIN_RSA_BITS = 2048;

const RSASSA_PSS = '1.2.840.113549.1.1.10';
const ED25519 = '1.3.101.112';
const ED448 = '1.3.101.113';
const DSA = '1.2.840.10040.4.1';
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

export function keyViolation(certificate: ChainCertificate): ChainViolation | undefined {
  const info = certificate.asn.tbsCertificate.subjectPublicKeyInfo;
  const oid = info.algorithm.algorithm;
  if (oid === ED25519 || oid === ED448) return undefined;
  if (oid === DSA) return violation('dsa-key', 'a DSA key (accepted: RSA, ECDSA P-256/P-384/P-521, Ed25519, Ed448)');
  const spki = new Uint8Array(AsnConvert.serialize(info));
  const bits = oid === RSASSA_PSS ? rsaPssBits(spki) : undefined;
  const key = bits === undefined ? describePublicKey(spki) : undefined;
  const modulusBits = bits ?? (key?.kind === 'rsa' ? key.modulusBits : undefined);
  if (modulusBits !== undefined) {
    if (modulusBits < CHAIN_MIN_RSA_BITS) {
      return violation('weak-rsa-key', `an RSA key of ${modulusBits} bits (at least ${CHAIN_MIN_RSA_BITS})`);
    }
    if (modulusBits % 8 !== 0) {
      return violation('rsa-modulus-not-multiple-of-8', `an RSA modulus of ${modulusBits} bits (a multiple of 8)`);
    }
    return undefined;
  }
  if (key?.kind === 'ec') return undefined;
  const name = key?.kind === 'other' ? key.name : oid;
  if (oid === EC_PUBLIC_KEY) {
    return violation('weak-ec-curve', `an ${name} key (accepted curves: P-256, P-384, P-521)`);
  }
  return violation('unsupported-key-algorithm', `a ${name} key (accepted: RSA, ECDSA, Ed25519, Ed448)`);
}

function rsaPssBits(spki: Uint8Array): number {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}
