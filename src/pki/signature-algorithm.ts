/**
 * Signature algorithm names as Go's `x509.SignatureAlgorithm.String()` prints them (`SHA256WithRSA`,
 * `ECDSAWithSHA256`, …): Cloudflare's `signature` field uses these names (cloudflare-compatibility.md §3, §4).
 * OIDs from RFC 3279 §2.2, RFC 4055 §5, RFC 5758 §3.2 and RFC 8410 §3.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

const NAMES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.2', 'MD2WithRSA'],
  ['1.2.840.113549.1.1.4', 'MD5WithRSA'],
  ['1.2.840.113549.1.1.5', 'SHA1WithRSA'],
  ['1.2.840.113549.1.1.11', 'SHA256WithRSA'],
  ['1.2.840.113549.1.1.12', 'SHA384WithRSA'],
  ['1.2.840.113549.1.1.13', 'SHA512WithRSA'],
  ['1.2.840.113549.1.1.10', 'RSASSA-PSS'],
  ['1.2.840.10040.4.3', 'DSAWithSHA1'],
  ['2.16.840.1.101.3.4.3.2', 'DSAWithSHA256'],
  ['1.2.840.10045.4.1', 'ECDSAWithSHA1'],
  ['1.2.840.10045.4.3.2', 'ECDSAWithSHA256'],
  ['1.2.840.10045.4.3.3', 'ECDSAWithSHA384'],
  ['1.2.840.10045.4.3.4', 'ECDSAWithSHA512'],
  ['1.3.101.112', 'Ed25519'],
]);

/** Signatures made with a broken hash (collisions are practical or near it). */
export const WEAK_SIGNATURE_ALGORITHMS: ReadonlySet<string> = new Set([
  'MD2WithRSA',
  'MD5WithRSA',
  'SHA1WithRSA',
  'DSAWithSHA1',
  'ECDSAWithSHA1',
]);

/**
 * What uploaded certificates may be signed with: Cloudflare's list (cloudflare-compatibility.md §3.1) minus
 * SHA-1 (hostile-input.md "Validity and algorithms").
 */
export const ACCEPTED_SIGNATURE_ALGORITHMS: ReadonlySet<string> = new Set([
  'SHA256WithRSA',
  'SHA384WithRSA',
  'SHA512WithRSA',
  'ECDSAWithSHA256',
  'ECDSAWithSHA384',
  'ECDSAWithSHA512',
]);

/** Go-style name of a signature algorithm; the dotted OID when it has none. */
export function signatureAlgorithmName(algorithm: AlgorithmIdentifier): string {
  return NAMES.get(algorithm.algorithm) ?? algorithm.algorithm;
}

/** True when both identifiers have the same DER (RFC 5280 §4.1.1.2: the two fields MUST be equal). */
export function sameAlgorithm(a: AlgorithmIdentifier, b: AlgorithmIdentifier): boolean {
  return Buffer.from(AsnConvert.serialize(a)).equals(Buffer.from(AsnConvert.serialize(b)));
}
