/**
 * issueClientCertificate: the managed CA signs a client certificate for a checked CSR (csr.ts), with the fields
 * Cloudflare's client-certificate API reports (cloudflare-compatibility.md §4).
 *
 * Profile (RFC 5280):
 * - subject: the CSR's CN, C, ST, L, O, OU only (csr-subject.ts); the key: the CSR's, unchanged;
 * - subjectAltName (§4.2.1.6): the requested names the zone's SAN policy allowed (san-policy.ts), in the CSR's
 *   order; critical when the subject is empty, as §4.2.1.6 requires;
 * - serial: 16 random bytes, positive (§4.1.2.2; CA/B Forum BR §7.1 asks for 64 random bits at least);
 * - basicConstraints cA=FALSE, critical (§4.2.1.9); keyUsage digitalSignature, plus keyEncipherment for RSA keys
 *   (TLS 1.2 RSA key exchange by clients that still do it), critical (§4.2.1.3); extKeyUsage clientAuth only
 *   (§4.2.1.12), so the certificate can never serve as a server's;
 * - subjectKeyIdentifier by §4.2.1.2 method (1) and authorityKeyIdentifier = the CA's SKI (§4.2.1.1);
 * - cRLDistributionPoints (§4.2.1.13) and authorityInfoAccess OCSP (§4.2.2.1) when URLs are given;
 * - validity: from `now` (whole seconds) for `validityDays` days (1–5475, Cloudflare's 15-year maximum), never
 *   beyond the CA's notAfter. notBefore is set 5 minutes back for verifiers whose clock is behind; `issuedOn` is
 *   `now`, so `expiresOn - issuedOn` is exactly `validityDays` unless the CA's expiry cut it.
 */
import 'reflect-metadata';
import { X509Certificate as NodeCertificate, createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  Certificate,
  Extension,
  Extensions,
  KeyUsage,
  KeyUsageFlags,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_keyUsage,
} from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { GW_ERR_API_VALIDATION } from '../errors/index.ts';
import { BACKDATE_MS, randomSerial } from './certificate-issuer.ts';
import { loadCaSigner, type CaKeyPair, type CaSigner } from './ca-signer.ts';
import { keyIdentifier } from './key-identifier.ts';
import { subjectName } from './csr-subject.ts';
import { toPem } from './pem.ts';
import type { ParsedCsr } from './csr.ts';
import type { RequestedSan } from './csr-san.ts';

/** Cloudflare's longest client certificate: 15 years (cloudflare-compatibility.md §4.1). */
export const MAX_CLIENT_VALIDITY_DAYS = 5475;
const DAY_MS = 86_400_000; // 24 hours

export interface IssueClientCertificateOptions {
  readonly ca: CaKeyPair;
  readonly csr: ParsedCsr;
  /** Whole days, 1 to 5475. */
  readonly validityDays: number;
  /** Issuing time; default the current time. Cut to whole seconds. */
  readonly now?: Date;
  /** http(s) URL of the CA's CRL, written as a cRLDistributionPoints extension. */
  readonly crlUrl?: string;
  /** http(s) URL of the OCSP responder, written as an authorityInfoAccess extension. */
  readonly ocspUrl?: string;
  /** The subject to write instead of the CSR's (EST profiles fix some fields). */
  readonly subject?: ParsedCsr['subject'];
  /**
   * The subject alternative names to certify, checked by the caller: the CSR's as the zone's SAN
   * policy allowed them, or what an EST profile's template makes.
   */
  readonly subjectAltNames?: readonly RequestedSan[];
}

export interface IssuedClientCertificate {
  readonly certPem: string;
  readonly der: Uint8Array;
  /** Lowercase hex of the serial's bytes, no colons: 32 characters. */
  readonly serialHex: string;
  /** Lowercase hex SHA-256 of the DER. */
  readonly fingerprintSha256: string;
  /** Lowercase hex subjectKeyIdentifier. */
  readonly skiHex: string;
  /** Go-style signature algorithm name: `ECDSAWithSHA256`. */
  readonly signature: string;
  readonly issuedOn: Date;
  /** The certificate's notAfter. */
  readonly expiresOn: Date;
  /** The certificate's notBefore (issuedOn minus the backdating, never before the CA's notBefore). */
  readonly notBefore: Date;
}

export function issueClientCertificate(options: IssueClientCertificateOptions): IssuedClientCertificate {
  const { csr, validityDays } = options;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_CLIENT_VALIDITY_DAYS) {
    throw GW_ERR_API_VALIDATION.create(`validity_days must be a whole number from 1 to ${MAX_CLIENT_VALIDITY_DAYS}`);
  }
  const crlUrl = options.crlUrl === undefined ? undefined : checkUrl(options.crlUrl, 'crlUrl');
  const ocspUrl = options.ocspUrl === undefined ? undefined : checkUrl(options.ocspUrl, 'ocspUrl');
  const signer = loadCaSigner(options.ca, ['keyCertSign']);
  const issuedOn = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  if (issuedOn < signer.notBefore || issuedOn >= signer.notAfter) {
    throw new Error(`the CA is not valid at ${issuedOn.toISOString()}`);
  }
  const notBefore = new Date(Math.max(issuedOn.getTime() - BACKDATE_MS, signer.notBefore.getTime()));
  const notAfter = new Date(Math.min(issuedOn.getTime() + validityDays * DAY_MS, signer.notAfter.getTime()));
  const serialHex = randomSerial();
  const ski = keyIdentifier(csr.publicKey);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: bufferOf(Buffer.from(serialHex, 'hex')),
    signature: signer.signatureAlgorithm,
    issuer: signer.subject,
    validity: new Validity({ notBefore, notAfter }),
    subject: subjectName(options.subject ?? csr.subject),
    subjectPublicKeyInfo: AsnConvert.parse(csr.publicKey, SubjectPublicKeyInfo),
    extensions: new Extensions(
      extensions(csr, ski, signer, {
        crlUrl,
        ocspUrl,
        sans: options.subjectAltNames ?? [],
        subjectIsEmpty: subjectName(options.subject ?? csr.subject).length === 0,
      }),
    ),
  });
  const der = sign(tbs, signer);
  return {
    certPem: toPem(der, 'CERTIFICATE'),
    der,
    serialHex,
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    skiHex: Buffer.from(ski).toString('hex'),
    signature: signer.signatureName,
    issuedOn,
    expiresOn: notAfter,
    notBefore,
  };
}

function extensions(
  csr: ParsedCsr,
  ski: Uint8Array,
  signer: CaSigner,
  extras: {
    crlUrl: string | undefined;
    ocspUrl: string | undefined;
    sans: readonly RequestedSan[];
    subjectIsEmpty: boolean;
  },
): Extension[] {
  const { crlUrl, ocspUrl, sans, subjectIsEmpty } = extras;
  const usages = KeyUsageFlags.digitalSignature | (csr.keyAlgorithm.kind === 'rsa' ? KeyUsageFlags.keyEncipherment : 0);
  const keyUsage = new Extension({
    extnID: id_ce_keyUsage,
    critical: true,
    extnValue: new OctetString(AsnConvert.serialize(new KeyUsage(usages))),
  });
  const list: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
    new x509.SubjectKeyIdentifierExtension(Buffer.from(ski).toString('hex')),
    new x509.AuthorityKeyIdentifierExtension(Buffer.from(signer.keyId).toString('hex')),
  ];
  if (sans.length > 0) {
    list.push(new x509.SubjectAlternativeNameExtension(sans.map(generalNameOf), subjectIsEmpty));
  }
  if (crlUrl !== undefined) list.push(new x509.CRLDistributionPointsExtension([crlUrl]));
  if (ocspUrl !== undefined) list.push(new x509.AuthorityInfoAccessExtension({ ocsp: [ocspUrl] }));
  return [keyUsage, ...list.map((extension) => AsnConvert.parse(extension.rawData, Extension))];
}

function generalNameOf(san: RequestedSan): x509.JsonGeneralName {
  switch (san.kind) {
    case 'dns':
      return { type: 'dns', value: san.value };
    case 'email':
      return { type: 'email', value: san.value };
    case 'uri':
      return { type: 'url', value: san.value };
    case 'ip':
      return { type: 'ip', value: san.value };
    case 'other':
      throw new Error(`${san.value} cannot be certified`);
  }
}

/** Signs the TBSCertificate and checks the result with OpenSSL before anyone sees it. */
function sign(tbs: TBSCertificate, signer: CaSigner): Uint8Array {
  const signatureValue = signer.sign(AsnConvert.serialize(tbs));
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: signer.signatureAlgorithm,
    signatureValue,
  });
  const der = new Uint8Array(AsnConvert.serialize(certificate));
  const issued = new NodeCertificate(der);
  if (!issued.verify(new NodeCertificate(signer.der).publicKey)) {
    throw new Error('the issued certificate does not verify with the CA key');
  }
  return der;
}

/** A URL for a certificate extension: absolute http or https (RFC 5280 §4.2.1.13 and §4.2.2.1), ASCII. */
function checkUrl(text: string, name: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${name} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name} must be an http or https URL`);
  return url.href;
}

function bufferOf(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
