/**
 * CaSigner: a CA certificate and its private key, checked once and ready to sign DER structures (certificates,
 * CRLs, OCSP responses) with node:crypto. Pure: PEM in, signatures out.
 *
 * Accepted CA keys: ECDSA P-256 (signing with SHA-256), P-384 (SHA-384), RSA 2048–8192 (SHA-256, PKCS #1 v1.5).
 * The hash follows the curve as RFC 5480 §4 recommends. ECDSA signatures come out DER-encoded (Ecdsa-Sig-Value,
 * RFC 3279 §2.2.3), which is what X.509, CRLs and OCSP carry; the AlgorithmIdentifier has absent parameters for
 * ECDSA (RFC 5758 §3.2) and NULL for RSA (RFC 4055 §5).
 *
 * The key must belong to the certificate, and the certificate must be a CA (basicConstraints cA=TRUE); what it
 * may sign is checked per use (keyCertSign, cRLSign: RFC 5280 §4.2.1.3).
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  BasicConstraints,
  Certificate,
  KeyUsage,
  type Extension,
  KeyUsageFlags,
  Name,
  SubjectKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { readPemBlocksOf } from './pem.ts';
import { keyIdentifier } from './key-identifier.ts';
import { signatureAlgorithmName } from './signature-algorithm.ts';

/** A CA certificate and its private key, both PEM (the shape `createRootCa` returns). */
export interface CaKeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export type CaUsage = 'keyCertSign' | 'cRLSign';

export interface CaSigner {
  /** The parsed CA certificate. */
  readonly certificate: Certificate;
  readonly der: Uint8Array;
  /** The CA's subject, which is the issuer of whatever it signs. */
  readonly subject: Name;
  /** DER of the CA's SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** The CA's subjectKeyIdentifier, or its RFC 5280 §4.2.1.2 method (1) value when it has none. */
  readonly keyId: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** What the CA signs with, for the `signature` / `signatureAlgorithm` fields. */
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** Go-style name of `signatureAlgorithm`: `ECDSAWithSHA256`. */
  readonly signatureName: string;
  /** Signs `data` (DER of a to-be-signed structure); the result is the BIT STRING value. */
  sign(data: ArrayBuffer | Uint8Array): ArrayBuffer;
}

const ECDSA_WITH = { 'SHA-256': '1.2.840.10045.4.3.2', 'SHA-384': '1.2.840.10045.4.3.3' } as const;
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

/** Loads and checks a CA for the given uses. Throws an Error (never echoing the key) when it cannot sign. */
export function loadCaSigner(ca: CaKeyPair, uses: readonly CaUsage[]): CaSigner {
  const [der, ...rest] = readPemBlocksOf(ca.certPem, 'CERTIFICATE');
  if (der === undefined || rest.length > 0) throw new Error('the CA certificate PEM must hold exactly one certificate');
  const certificate = AsnConvert.parse(der, Certificate);
  const tbs = certificate.tbsCertificate;
  assertCanSign(certificate, uses);
  const privateKey = readPrivateKey(ca.keyPem);
  const spki = new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo));
  const publicDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!publicDer.equals(spki)) throw new Error('the CA key does not belong to the CA certificate');
  const { hash, algorithm } = signingAlgorithm(privateKey);
  return {
    certificate,
    der: new Uint8Array(der),
    subject: tbs.subject,
    spki,
    keyId: subjectKeyId(certificate) ?? keyIdentifier(spki),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    signatureAlgorithm: algorithm,
    signatureName: signatureAlgorithmName(algorithm),
    sign(data) {
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
      const signature = sign(hash, bytes, privateKey);
      return signature.buffer.slice(signature.byteOffset, signature.byteOffset + signature.byteLength);
    },
  };
}

function assertCanSign(certificate: Certificate, uses: readonly CaUsage[]): void {
  const extensions: readonly Extension[] = certificate.tbsCertificate.extensions ?? [];
  const basic = extensions.find((extension) => extension.extnID === id_ce_basicConstraints);
  if (basic === undefined || !AsnConvert.parse(basic.extnValue, BasicConstraints).cA) {
    throw new Error('the CA certificate is not a CA (basicConstraints cA is not TRUE)');
  }
  const keyUsage = extensions.find((extension) => extension.extnID === id_ce_keyUsage);
  if (keyUsage === undefined) return;
  const flags = AsnConvert.parse(keyUsage.extnValue, KeyUsage).toNumber();
  for (const use of uses) {
    const flag = use === 'keyCertSign' ? KeyUsageFlags.keyCertSign : KeyUsageFlags.cRLSign;
    if ((flags & flag) === 0) throw new Error(`the CA certificate does not allow ${use} in keyUsage`);
  }
}

function subjectKeyId(certificate: Certificate): Uint8Array | undefined {
  const extension = certificate.tbsCertificate.extensions?.find((ext) => ext.extnID === id_ce_subjectKeyIdentifier);
  if (extension === undefined) return undefined;
  return new Uint8Array(AsnConvert.parse(extension.extnValue, SubjectKeyIdentifier).buffer);
}

function readPrivateKey(keyPem: string): KeyObject {
  try {
    return createPrivateKey({ key: keyPem, format: 'pem' });
  } catch {
    // Never echo the key, nor the parser's message about it: only the reason it was refused.
    throw new Error('the CA key is not a readable unencrypted PEM private key');
  }
}

function signingAlgorithm(key: KeyObject): { hash: string; algorithm: AlgorithmIdentifier } {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') {
    return { hash: 'sha256', algorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH['SHA-256'] }) };
  }
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'secp384r1') {
    return { hash: 'sha384', algorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH['SHA-384'] }) };
  }
  const bits = details.modulusLength ?? 0;
  if (key.asymmetricKeyType === 'rsa' && bits >= 2048 && bits <= 8192) {
    return { hash: 'sha256', algorithm: new AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: null }) };
  }
  throw new Error('the CA key must be ECDSA P-256 or P-384, or RSA of 2048 to 8192 bits');
}
