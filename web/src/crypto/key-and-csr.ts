/**
 * A new ECDSA P-256 key pair made by the browser (WebCrypto) and a PKCS#10 CSR for it signed in
 * the page (@peculiar/x509): only the CSR leaves the page; the private key is offered to the
 * operator as a PEM file and inside a PKCS#12 file, and forgotten with the page.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export interface BrowserKey {
  readonly keys: CryptoKeyPair;
  readonly csrPem: string;
  /** PKCS#8 DER of the private key. */
  readonly pkcs8: ArrayBuffer;
  readonly keyPem: string;
}

/** An RDN value for a string DN: RFC 4514 §2.4 escapes. */
function escapeDnValue(value: string): string {
  return value
    .replace(/([,+"\\<>;=])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}

export async function newKeyAndCsr(commonName: string, organization = ''): Promise<BrowserKey> {
  const keys = await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const name = [
    `CN=${escapeDnValue(commonName)}`,
    ...(organization === '' ? [] : [`O=${escapeDnValue(organization)}`]),
  ].join(', ');
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keys, csrPem: csr.toString('pem'), pkcs8, keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

export function derOfPem(pem: string): ArrayBuffer {
  return x509.PemConverter.decode(pem)[0] ?? new ArrayBuffer(0);
}

/** What the detail page shows of a certificate that the API gives as PEM. */
export interface CertificateFacts {
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly sans: readonly string[];
  /** Lowercase hex SHA-256 of the SubjectPublicKeyInfo (what a key bound by public key matches). */
  readonly spkiSha256: string;
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export async function certificateFacts(pem: string): Promise<CertificateFacts> {
  const certificate = new x509.X509Certificate(pem);
  const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  const sans = san === null ? [] : san.names.items.map((item) => `${item.type.toUpperCase()}:${item.value}`);
  const spki = await crypto.subtle.digest('SHA-256', certificate.publicKey.rawData);
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    sans,
    spkiSha256: hex(spki),
  };
}
