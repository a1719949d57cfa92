/**
 * What kind of public key a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) holds, read from the ASN.1 before any
 * OpenSSL key parsing, so that keys the gateway refuses never reach the code paths that made them dangerous:
 * EC keys with explicit curve parameters (RFC 5480 §2.1.1 forbids them; CVE-2022-0778 looped forever on them)
 * are recognised by the encoding of their parameters alone. Only RSA keys go to `createPublicKey`, which reads the
 * modulus size cheaply whatever it is (the cost of a huge RSA key is in verifying with it, not in parsing it).
 *
 * Callers apply their own policy (CSRs and uploads accept different sets) and word their own refusals.
 */
import { createPublicKey } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';

export type NamedCurve = 'P-256' | 'P-384' | 'P-521';

export type PublicKeyDescription =
  | { readonly kind: 'ec'; readonly curve: NamedCurve }
  | { readonly kind: 'rsa'; readonly modulusBits: number; readonly publicExponent: bigint }
  /** A key no policy of ours accepts; `name` says what it is, for the refusal. */
  | { readonly kind: 'other'; readonly name: string };

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

/** Other key algorithms by OID, to name them in refusals. */
const OTHER_KEY_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.10', 'RSASSA-PSS'],
  ['1.2.840.10040.4.1', 'DSA'],
  ['1.3.101.112', 'Ed25519'],
  ['1.3.101.113', 'Ed448'],
  ['1.3.101.110', 'X25519'],
  ['1.3.101.111', 'X448'],
  ['1.2.840.10046.2.1', 'Diffie-Hellman'],
]);

/** DER of the namedCurve OBJECT IDENTIFIER parameters (RFC 5480 §2.1.1.1), hex. */
const CURVES_BY_PARAMETERS: ReadonlyMap<string, string> = new Map([
  ['06082a8648ce3d030107', 'P-256'],
  ['06052b81040022', 'P-384'],
  ['06052b81040023', 'P-521'],
  ['06082a8648ce3d030101', 'P-192 (prime192v1)'],
  ['06052b81040021', 'P-224 (secp224r1)'],
  ['06052b8104000a', 'secp256k1'],
]);
const ACCEPTABLE_CURVES: readonly NamedCurve[] = ['P-256', 'P-384', 'P-521'];

/** Describes the key in a DER SubjectPublicKeyInfo. Throws when the bytes are not one. */
export function describePublicKey(spki: Uint8Array): PublicKeyDescription {
  const info = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  const oid = info.algorithm.algorithm;
  if (oid === EC_PUBLIC_KEY) return describeEcKey(info.algorithm.parameters);
  if (oid === RSA_ENCRYPTION) {
    const details = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).asymmetricKeyDetails;
    return {
      kind: 'rsa',
      modulusBits: details?.modulusLength ?? 0,
      publicExponent: details?.publicExponent ?? 0n,
    };
  }
  return { kind: 'other', name: OTHER_KEY_ALGORITHMS.get(oid) ?? `unknown key algorithm ${oid}` };
}

function describeEcKey(parameters: ArrayBuffer | null | undefined): PublicKeyDescription {
  if (parameters === undefined || parameters === null) {
    return { kind: 'other', name: 'parameterless EC' };
  }
  const der = Buffer.from(parameters);
  if (der[0] === 0x30) {
    return { kind: 'other', name: 'explicit-curve EC' };
  }
  const curve = CURVES_BY_PARAMETERS.get(der.toString('hex'));
  const named = ACCEPTABLE_CURVES.find((candidate) => candidate === curve);
  if (named !== undefined) return { kind: 'ec', curve: named };
  return { kind: 'other', name: `EC curve ${curve ?? 'not among P-256, P-384, P-521'}` };
}

/** `ECDSA P-256`, `RSA 2048`, or the name of another key: for messages. */
export function publicKeyLabel(key: PublicKeyDescription): string {
  if (key.kind === 'ec') return `ECDSA ${key.curve}`;
  if (key.kind === 'rsa') return `RSA ${key.modulusBits}`;
  return key.name;
}

/**
 * The reason an RSA key is unacceptable, or undefined. The public exponent must be odd and at least 3
 * (RFC 8017 §3.1); at most 2^32 - 1 as in Go's crypto/rsa, since larger ones only make verification slow.
 */
export function rsaKeyProblem(
  modulusBits: number,
  publicExponent: bigint,
  minBits: number,
  maxBits: number,
): string | undefined {
  if (modulusBits < minBits || modulusBits > maxBits || modulusBits % 8 !== 0) {
    return `RSA key of ${modulusBits} bits (accepted: ${minBits}–${maxBits} bits, a multiple of 8)`;
  }
  if (publicExponent < 3n || publicExponent % 2n === 0n || publicExponent > 0xffffffffn) {
    return `RSA public exponent ${publicExponent} (must be odd, from 3 to 2^32-1)`;
  }
  return undefined;
}
