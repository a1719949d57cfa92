/**
 * Key identifiers and key hashes, all computed over the same bytes: the value of the subjectPublicKey BIT STRING
 * of a SubjectPublicKeyInfo, without tag, length or unused-bits octet.
 *
 * - subjectKeyIdentifier, RFC 5280 §4.2.1.2 method (1): SHA-1 of those bytes (what OpenSSL's `hash` writes).
 * - OCSP CertID issuerKeyHash (RFC 6960 §4.1.1) and ResponderID byKey (§4.2.1): the same, with the CertID's
 *   hash algorithm for the former and always SHA-1 for the latter.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';

export type KeyHashAlgorithm = 'sha1' | 'sha256';

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo. */
export function subjectPublicKeyBits(spki: Uint8Array): Uint8Array {
  return new Uint8Array(AsnConvert.parse(spki, SubjectPublicKeyInfo).subjectPublicKey);
}

/** Hash of the subjectPublicKey bits: the RFC 5280 method (1) key identifier with SHA-1 (the default). */
export function keyIdentifier(spki: Uint8Array, algorithm: KeyHashAlgorithm = 'sha1'): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(subjectPublicKeyBits(spki)).digest());
}
