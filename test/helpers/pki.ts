/**
 * Test PKI: real CAs, intermediates, client/server leaves and CRLs made at test time with
 * @peculiar/x509 over node's webcrypto. Nothing here is checked in as a fixture file.
 */
import 'reflect-metadata';
import { webcrypto, randomBytes } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber } from '@peculiar/asn1-x509';
import { serialForLookup } from '../../src/pki/serial.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  /** PEM of the certificate. */
  certPem: string;
  /** PKCS#8 PEM of the private key. */
  keyPem: string;
  /** DER of the certificate. */
  der: Buffer;
  /** Lowercase hex SHA-256 of the DER. */
  sha256: string;
  /** Serial as uppercase hex, without leading zeros. */
  serialHex: string;
}

export interface CaHandle extends Issued {
  /** Issues a certificate signed by this CA. */
  issue(options: LeafOptions): Promise<Issued>;
  /** Issues an intermediate CA signed by this CA (pathLenConstraint `pathLength`, default 0). */
  intermediate(name: string, pathLength?: number): Promise<CaHandle>;
  /** A CRL signed by this CA listing the given serials (uppercase hex). */
  crl(revokedSerials: string[], options?: CrlOptions): Promise<string>;
}

export type NameInput = string | x509.JsonName;

export interface CrlOptions {
  nextUpdate?: Date;
  thisUpdate?: Date;
  /** The cRLNumber (RFC 5280 §5.2.3); default: one more than the last CRL this process made; null: none. */
  crlNumber?: number | null;
  /** Appended after the usual extensions as given (a hostile CRL can mark one critical or repeat it). */
  extraExtensions?: x509.Extension[];
  /** Signs with this key instead of the CA's (a CRL that names the CA but is not signed by it). */
  signingKey?: webcrypto.CryptoKey;
}

/** Increases across the CRLs this process makes, so a later CRL always has a higher number. */
let nextCrlNumber = Math.floor(Date.now() / 1000);

/** The cRLNumber extension (non-critical unless asked). */
export function crlNumberExtension(value: number, critical = false): x509.Extension {
  return new x509.Extension('2.5.29.20', critical, AsnConvert.serialize(new CRLNumber(value)));
}

export interface LeafOptions {
  subject: NameInput;
  /** Extended key usages; default clientAuth. Empty array = no EKU extension. */
  eku?: string[];
  dns?: string[];
  uris?: string[];
  ips?: string[];
  notBefore?: Date;
  notAfter?: Date;
  keyUsage?: x509.KeyUsageFlags;
  serial?: string;
  /** Appended after the usual extensions as given: a hostile certificate can repeat one. */
  extraExtensions?: x509.Extension[];
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify']);
}

/** A positive random serial of 16 bytes (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}

async function toIssued(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<Issued> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const der = Buffer.from(cert.rawData);
  const sha256 = Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex');
  return {
    cert,
    keys,
    certPem: cert.toString('pem') + '\n',
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n',
    der,
    sha256,
    serialHex: serialForLookup(cert.serialNumber),
  };
}

function names(options: LeafOptions): x509.JsonGeneralName[] {
  return [
    ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
}

function makeCaHandle(issued: Issued, name: NameInput): CaHandle {
  const issue = async (options: LeafOptions): Promise<Issued> => {
    const keys = await newKeys();
    const eku = options.eku ?? [x509.ExtendedKeyUsage.clientAuth];
    const sans = names(options);
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(options.keyUsage ?? x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issued.cert),
    ];
    if (eku.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(eku));
    if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
    extensions.push(...(options.extraExtensions ?? []));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: options.serial ?? randomSerial(),
      subject: options.subject,
      issuer: issued.cert.subjectName,
      notBefore: options.notBefore ?? new Date(Date.now() - DAY_MS),
      notAfter: options.notAfter ?? new Date(Date.now() + 30 * DAY_MS),
      signingAlgorithm: EC_ALG,
      publicKey: keys.publicKey,
      signingKey: issued.keys.privateKey,
      extensions,
    });
    return toIssued(cert, keys);
  };
  return {
    ...issued,
    issue,
    intermediate: async (childName: string, pathLength = 0) => {
      const keys = await newKeys();
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject: childName,
        issuer: issued.cert.subjectName,
        notBefore: new Date(Date.now() - DAY_MS),
        notAfter: new Date(Date.now() + 365 * DAY_MS),
        signingAlgorithm: EC_ALG,
        publicKey: keys.publicKey,
        signingKey: issued.keys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(true, pathLength, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
          await x509.AuthorityKeyIdentifierExtension.create(issued.cert),
        ],
      });
      return makeCaHandle(await toIssued(cert, keys), childName);
    },
    crl: async (revokedSerials, options = {}) => {
      const crlNumber = options.crlNumber === undefined ? nextCrlNumber++ : options.crlNumber;
      const crl = await x509.X509CrlGenerator.create({
        issuer: name,
        thisUpdate: options.thisUpdate ?? new Date(Date.now() - 60_000),
        nextUpdate: options.nextUpdate ?? new Date(Date.now() + DAY_MS),
        entries: revokedSerials.map((serialNumber) => ({
          serialNumber,
          revocationDate: new Date(Date.now() - 60_000),
        })),
        signingAlgorithm: EC_ALG,
        signingKey: options.signingKey ?? issued.keys.privateKey,
        extensions: [
          await x509.AuthorityKeyIdentifierExtension.create(issued.cert),
          ...(crlNumber === null ? [] : [crlNumberExtension(crlNumber)]),
          ...(options.extraExtensions ?? []),
        ],
      });
      return x509.PemConverter.encode(crl.rawData, 'X509 CRL') + '\n';
    },
  };
}

/** Creates a self-signed root CA. */
export async function createCa(name = 'CN=Test Root CA,O=Portcullis Tests'): Promise<CaHandle> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    signingAlgorithm: EC_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return makeCaHandle(await toIssued(cert, keys), name);
}

/** A self-signed end-entity certificate (not a CA). */
export async function createSelfSignedLeaf(name = 'CN=Self Signed Leaf'): Promise<Issued> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    signingAlgorithm: EC_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  return toIssued(cert, keys);
}

export const Eku = x509.ExtendedKeyUsage;
export const SubjectAlternativeNameExtension = x509.SubjectAlternativeNameExtension;
export const KeyUsage = x509.KeyUsageFlags;
export const DAY = DAY_MS;
