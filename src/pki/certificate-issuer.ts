/**
 * Certificate issuing: self-signed root CAs and leaf certificates signed by them, over @peculiar/x509
 * and node's webcrypto. Pure: PEM in, PEM out, no file or network I/O, so the managed CA (and the demo)
 * decide where keys live.
 *
 * Every certificate is ECDSA P-256 with SHA-256 and carries a random positive 16-byte serial (RFC 5280
 * §4.1.2.2; CA/B Forum BR §7.1 asks for at least 64 random bits), basicConstraints (critical), keyUsage
 * (critical), and subject/authority key identifiers (§4.2.1.1–2). Leaves get one extended key usage,
 * clientAuth or serverAuth, so a client certificate can never serve as a server's and the reverse.
 * notBefore is set a few minutes back for clients with a slow clock; a leaf never outlives its CA.
 */
import 'reflect-metadata';
import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { serialForLookup } from './serial.ts';
import { toPem } from './pem.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000; // 24 hours
/** How far notBefore is set in the past, for relying parties whose clock is behind. */
export const BACKDATE_MS = 5 * 60_000; // 5 minutes
/** Longest validity accepted, for CAs and leaves alike. */
export const MAX_VALIDITY_DAYS = 36_500; // 100 years

/** A certificate and its private key, both PEM. */
export interface CertificateAuthority {
  /** PEM of the CA certificate. */
  readonly certPem: string;
  /** PKCS#8 PEM of the CA's private key. */
  readonly keyPem: string;
}

export interface IssuedCertificate extends CertificateAuthority {
  /** Serial as uppercase hex, no colons, no leading zeros (as `serialForLookup`). */
  readonly serialHex: string;
  /** Lowercase hex SHA-256 of the certificate's DER (its fingerprint). */
  readonly sha256: string;
}

export interface RootCaOptions {
  /** Distinguished name, RFC 4514 string (most specific first): `CN=Portcullis Demo CA,O=Portcullis`. */
  readonly name: string;
  readonly validityDays: number;
}

export type CertificateUsage = 'client' | 'server';

export interface IssueCertificateOptions {
  readonly ca: CertificateAuthority;
  /** Distinguished name, RFC 4514 string (most specific first); may be empty when there are alternative names. */
  readonly subject: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly uris?: readonly string[];
  readonly usage: CertificateUsage;
  readonly validityDays: number;
}

/** Creates a self-signed root CA (basicConstraints cA=TRUE, keyCertSign and cRLSign). */
export async function createRootCa(options: RootCaOptions): Promise<IssuedCertificate> {
  const validity = validityPeriod(options.validityDays);
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: parseDistinguishedName(options.name),
    ...validity,
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return toIssued(cert, keys.privateKey);
}

/**
 * How long an account's managed CA lives: 20 years, longer than the longest client certificate (15 years,
 * client-certificate-issuer.ts), so a client certificate is cut short by its CA's expiry only in the CA's last years.
 */
export const MANAGED_CA_VALIDITY_DAYS = 7300;

/**
 * Creates an account's managed CA (the issuer of client certificates made from CSRs): a self-signed ECDSA P-256
 * root with basicConstraints cA=TRUE and keyUsage keyCertSign|cRLSign, as `createRootCa` makes it.
 */
export function createManagedCa(name: string, validityDays = MANAGED_CA_VALIDITY_DAYS): Promise<IssuedCertificate> {
  return createRootCa({ name, validityDays });
}

/** Issues a leaf certificate (cA=FALSE, digitalSignature, one EKU) signed by `options.ca`. */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const validity = validityPeriod(options.validityDays);
  const { cert: caCert, signingKey } = await loadCa(options.ca);
  const names = subjectAltNames(options);
  const subject = parseDistinguishedName(options.subject);
  const emptySubject = subject.toJSON().length === 0;
  if (emptySubject && names.length === 0) {
    throw new Error('a certificate needs a subject or a subject alternative name');
  }
  if (options.usage === 'server' && !names.some((name) => name.type === 'dns' || name.type === 'ip')) {
    throw new Error('a server certificate needs at least one DNS name or IP address');
  }
  const keys = await generateKeys();
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([
      options.usage === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth,
    ]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    // The AKI must equal the CA's SKI (RFC 5280 §4.2.1.1); compute it only when the CA has none.
    caKeyId === undefined
      ? await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey)
      : new x509.AuthorityKeyIdentifierExtension(caKeyId),
  ];
  // With an empty subject the names are the identity, and the extension is critical (§4.2.1.6).
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, emptySubject));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: caCert.subjectName,
    notBefore: validity.notBefore,
    notAfter: new Date(Math.min(validity.notAfter.getTime(), caCert.notAfter.getTime())),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey,
    extensions,
  });
  return toIssued(cert, keys.privateKey);
}

/** 16 random bytes as hex, first byte 01–7F: positive, and exactly 16 octets once DER-encoded. */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  const first = (bytes[0] ?? 0) & 0x7f; // no sign bit: positive without a 0x00 pad
  bytes[0] = first === 0 ? 0x01 : first; // a leading 0x00 would be dropped, leaving 15 octets
  return bytes.toString('hex');
}

/**
 * An RFC 4514 string lists the most specific RDN first (`CN=a,O=b`), the reverse of the DER order;
 * x509.Name reads a string in DER order, so the RDNs are reversed. The certificate then prints back as
 * the same string in the gateway's identity fields and in `openssl -nameopt RFC2253`.
 */
function parseDistinguishedName(text: string): x509.Name {
  return new x509.Name(new x509.Name(text).toJSON().reverse());
}

function validityPeriod(validityDays: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(validityDays) || validityDays <= 0 || validityDays > MAX_VALIDITY_DAYS) {
    throw new Error(`validityDays must be more than 0 and at most ${MAX_VALIDITY_DAYS}, got ${validityDays}`);
  }
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + validityDays * DAY_MS) };
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function loadCa(
  ca: CertificateAuthority,
): Promise<{ cert: x509.X509Certificate; signingKey: webcrypto.CryptoKey }> {
  const cert = new x509.X509Certificate(ca.certPem);
  if (cert.getExtension(x509.BasicConstraintsExtension)?.ca !== true) {
    throw new Error(`${cert.subject} is not a CA certificate (basicConstraints cA is not TRUE)`);
  }
  if (cert.notAfter.getTime() <= Date.now()) {
    throw new Error(`the CA ${cert.subject} expired on ${cert.notAfter.toISOString()}`);
  }
  const keyUsage = cert.getExtension(x509.KeyUsagesExtension);
  if (keyUsage !== null && (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new Error(`${cert.subject} may not sign certificates (keyUsage has no keyCertSign)`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(ca.keyPem);
  } catch (error) {
    // Never echo the key: only the reason it was refused.
    throw new Error('the CA key is not a readable unencrypted PEM private key', { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the CA key must be an ECDSA P-256 key');
  }
  const publicKeyDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!publicKeyDer.equals(Buffer.from(cert.publicKey.rawData))) {
    throw new Error(`the CA key does not belong to the CA certificate ${cert.subject}`);
  }
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, KEY_ALGORITHM, false, ['sign']);
  return { cert, signingKey };
}

function subjectAltNames(options: IssueCertificateOptions): x509.JsonGeneralName[] {
  return [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(options.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
}

async function toIssued(cert: x509.X509Certificate, privateKey: webcrypto.CryptoKey): Promise<IssuedCertificate> {
  const der = new Uint8Array(cert.rawData);
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', privateKey));
  return {
    certPem: toPem(der, 'CERTIFICATE'),
    keyPem: toPem(pkcs8, 'PRIVATE KEY'),
    serialHex: serialForLookup(cert.serialNumber),
    sha256: createHash('sha256').update(der).digest('hex'),
  };
}
