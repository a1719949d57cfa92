/**
 * The identity fields of a client certificate, read once per TLS connection from the DER.
 *
 * Formats follow Cloudflare's `cf.tls_client_auth.*` fields (cloudflare-compatibility.md §7.1) so rules and
 * forwarded `cf-cert-*` headers look the same as Cloudflare's; `rfc9440` is the RFC 9440 `Client-Cert` value.
 * Everything comes from `AsnConvert.parse(der, Certificate)`; no hand-written ASN.1 decoding, and never
 * OpenSSL's or Node's printed subject strings (hostile-input.md class 3).
 *
 * Any input that does not parse as exactly one X.509 certificate (including trailing bytes after it, or an
 * extension that appears twice, as Go's crypto/x509 refuses) throws `GW_ERR_CERT_INVALID` with the cause.
 *
 * Names are checked for lossy decoding: asn1js reads an invalid UTF8String as Latin-1 and cuts UniversalString
 * characters beyond U+FFFF to 16 bits, so `CN=caf<E9>` would print like `CN=café` and a UniversalString
 * U+10061 like `a`. Such a value is printed as `#` + hex of its DER instead (RFC 4514 §2.4), so two different
 * names never print the same.
 */
import { isSingleDerSequence } from './der-length.ts';
import { createHash } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import {
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  Certificate,
  ExtendedKeyUsage,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_extKeyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import type { Extension, Time } from '@peculiar/asn1-x509';
import { GW_ERR_CERT_INVALID, GatewayError } from '../errors/index.ts';
import { formatDistinguishedName } from './distinguished-name.ts';
import { serialFieldFromBytes } from './serial.ts';

export interface CertificateFields {
  /** Uppercase hex, no colons, no sign-padding leading 00 byte: `527E0F20A20EA2A4146C78390F34CE7AF0878CA4`. */
  serial: string;
  /** Serial of the direct issuer certificate when it was given, else `""`. */
  issuerSerial: string;
  /** RFC 4514 string, most specific RDN first: `CN=James Royal,OU=Access Admins,O=Access,C=US`. */
  subjectDn: string;
  issuerDn: string;
  /** OpenSSL "oneline" form, root first: `/C=US/O=Access/OU=Access Admins/CN=James Royal`. */
  subjectDnLegacy: string;
  issuerDnLegacy: string;
  /** Lowercase hex of SHA-256 of the DER. */
  fingerprintSha256: string;
  /** Lowercase hex of SHA-1 of the DER. */
  fingerprintSha1: string;
  /** OpenSSL `ASN1_TIME_print` style, day padded with a space: `Mar  1 13:35:00 2022 GMT`. */
  notBefore: string;
  notAfter: string;
  /** Uppercase hex of the subjectKeyIdentifier, `""` when absent. */
  ski: string;
  /** SKI of the issuer certificate when given, else the leaf's authorityKeyIdentifier keyIdentifier, else `""`. */
  issuerSki: string;
  /** subjectAltName entries, in certificate order, as decoded (not escaped: escape before printing). */
  dnsNames: string[];
  uris: string[];
  emails: string[];
  ips: string[];
  /** Extended key usage OIDs; `[]` when the certificate has no EKU extension. */
  extendedKeyUsages: string[];
  /** RFC 9440 `Client-Cert` value `:<base64 DER>:`; `""` when the DER is over 10 KiB. */
  rfc9440: string;
  rfc9440TooLarge: boolean;
}

/** Cloudflare leaves `cert_rfc9440` empty above 10 KiB of DER. */
export const RFC9440_MAX_CERT_BYTES = 10 * 1024;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/**
 * readCertificateFields: parses the leaf (and optionally its direct issuer) and returns its identity fields.
 * Throws `GW_ERR_CERT_INVALID` (cause attached) when either input is not a certificate.
 */
export function readCertificateFields(leafDer: Uint8Array, issuerDer?: Uint8Array): CertificateFields {
  try {
    const leaf = parseCertificate(leafDer);
    const issuer = issuerDer === undefined ? undefined : readIssuer(issuerDer);
    const tbs = leaf.tbsCertificate;
    const extensions = indexExtensions(leaf);
    const san = extensions.get(id_ce_subjectAltName);
    const altNames = readAltNames(san);
    const eku = extensions.get(id_ce_extKeyUsage);
    const [subject, issuerName] = faithfulNames(leaf, [tbs.subject, tbs.issuer]);
    const tooLarge = leafDer.byteLength > RFC9440_MAX_CERT_BYTES;
    return {
      serial: serialFieldFromBytes(tbs.serialNumber),
      issuerSerial: issuer?.serial ?? '',
      subjectDn: formatDistinguishedName(subject, 'rfc2253'),
      issuerDn: formatDistinguishedName(issuerName, 'rfc2253'),
      subjectDnLegacy: formatDistinguishedName(subject, 'legacy'),
      issuerDnLegacy: formatDistinguishedName(issuerName, 'legacy'),
      fingerprintSha256: createHash('sha256').update(leafDer).digest('hex'),
      fingerprintSha1: createHash('sha1').update(leafDer).digest('hex'),
      notBefore: formatTime(tbs.validity.notBefore),
      notAfter: formatTime(tbs.validity.notAfter),
      ski: subjectKeyIdentifier(extensions),
      issuerSki: issuer !== undefined && issuer.ski !== '' ? issuer.ski : authorityKeyIdentifier(extensions),
      ...altNames,
      extendedKeyUsages: eku === undefined ? [] : [...AsnConvert.parse(eku.extnValue, ExtendedKeyUsage)],
      rfc9440: tooLarge ? '' : ':' + asBuffer(leafDer).toString('base64') + ':',
      rfc9440TooLarge: tooLarge,
    };
  } catch (cause) {
    if (cause instanceof GatewayError) throw cause;
    throw GW_ERR_CERT_INVALID.create(undefined, cause);
  }
}

/**
 * Serial and SKI of an issuer certificate. A connection's issuer is almost always one of a few CAs, and parsing
 * costs as much as the leaf, so results are memoised by SHA-256 of the DER in a small FIFO-bounded map (a client
 * can send any chain, so the map must not grow without bound). Failures are not cached.
 */
function readIssuer(der: Uint8Array): IssuerFields {
  const key = createHash('sha256').update(der).digest('base64');
  let fields = issuerCache.get(key);
  if (fields === undefined) {
    const issuer = parseCertificate(der);
    fields = {
      serial: serialFieldFromBytes(issuer.tbsCertificate.serialNumber),
      ski: subjectKeyIdentifier(indexExtensions(issuer)),
    };
    const oldest = issuerCache.keys().next();
    if (issuerCache.size >= ISSUER_CACHE_SIZE && oldest.done !== true) issuerCache.delete(oldest.value);
    issuerCache.set(key, fields);
  }
  return fields;
}

interface IssuerFields {
  readonly serial: string;
  readonly ski: string;
}

const ISSUER_CACHE_SIZE = 256;
const issuerCache = new Map<string, IssuerFields>();

function parseCertificate(der: Uint8Array): Certificate {
  if (!isSingleDerSequence(der)) {
    throw GW_ERR_CERT_INVALID.create(undefined, new Error('not exactly one DER certificate (trailing bytes)'));
  }
  return AsnConvert.parse(der, Certificate);
}

function indexExtensions(certificate: Certificate): Map<string, Extension> {
  const index = new Map<string, Extension>();
  const extensions = certificate.tbsCertificate.extensions;
  if (extensions === undefined) return index;
  for (const extension of extensions) {
    if (index.has(extension.extnID)) {
      throw GW_ERR_CERT_INVALID.create(undefined, new Error(`duplicate extension ${extension.extnID}`));
    }
    index.set(extension.extnID, extension);
  }
  return index;
}

/** subjectAltName entries by type, as plain arrays in certificate order. */
function readAltNames(
  extension: Extension | undefined,
): Pick<CertificateFields, 'dnsNames' | 'uris' | 'emails' | 'ips'> {
  const names = { dnsNames: [] as string[], uris: [] as string[], emails: [] as string[], ips: [] as string[] };
  if (extension === undefined) return names;
  for (const name of AsnConvert.parse(extension.extnValue, SubjectAlternativeName)) {
    if (name.dNSName !== undefined) names.dnsNames.push(name.dNSName);
    else if (name.uniformResourceIdentifier !== undefined) names.uris.push(name.uniformResourceIdentifier);
    else if (name.rfc822Name !== undefined) names.emails.push(name.rfc822Name);
    else if (name.iPAddress !== undefined) names.ips.push(name.iPAddress);
  }
  return names;
}

function subjectKeyIdentifier(extensions: Map<string, Extension>): string {
  const extension = extensions.get(id_ce_subjectKeyIdentifier);
  if (extension === undefined) return '';
  return upperHex(AsnConvert.parse(extension.extnValue, SubjectKeyIdentifier).buffer);
}

function authorityKeyIdentifier(extensions: Map<string, Extension>): string {
  const extension = extensions.get(id_ce_authorityKeyIdentifier);
  if (extension === undefined) return '';
  const keyIdentifier = AsnConvert.parse(extension.extnValue, AuthorityKeyIdentifier).keyIdentifier;
  return keyIdentifier === undefined ? '' : upperHex(keyIdentifier.buffer);
}

function upperHex(bytes: ArrayBuffer | Uint8Array): string {
  return asBuffer(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))
    .toString('hex')
    .toUpperCase();
}

/** A Buffer over the same memory (no copy). */
function asBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** `Mar  1 13:35:00 2022 GMT` (OpenSSL `ASN1_TIME_print`; fractional seconds are not printed). */
function formatTime(time: Time): string {
  const date = time.getTime();
  if (Number.isNaN(date.getTime())) throw new Error('invalid time');
  const day = date.getUTCDate();
  return (
    `${MONTHS[date.getUTCMonth()] ?? ''} ${day < 10 ? ' ' : ''}${day} ` +
    `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())} ` +
    `${date.getUTCFullYear()} GMT`
  );
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Lossless names. The `Raw*` schema below is the TBSCertificate prefix with every attribute value kept as its DER
// (`Any`); it is parsed only when a name holds a value that asn1js may have decoded lossily (see the header).

class RawAttribute {
  type = '';
  value = new ArrayBuffer(0);
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(RawAttribute.prototype, 'type');
AsnProp({ type: AsnPropTypes.Any })(RawAttribute.prototype, 'value');

class RawRdn extends AsnArray<RawAttribute> {
  constructor(items?: RawAttribute[]) {
    super(items);
    Object.setPrototypeOf(this, RawRdn.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Set, itemType: RawAttribute })(RawRdn);

class RawName extends AsnArray<RawRdn> {
  constructor(items?: RawRdn[]) {
    super(items);
    Object.setPrototypeOf(this, RawName.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Sequence, itemType: RawRdn })(RawName);

/** TBSCertificate up to the subject; the parser ignores the fields after it. */
class RawTbsNames {
  version: ArrayBuffer | undefined = undefined;
  serialNumber = new ArrayBuffer(0);
  signature = new ArrayBuffer(0);
  issuer = new RawName();
  validity = new ArrayBuffer(0);
  subject = new RawName();
}
AsnProp({ type: AsnPropTypes.Any, context: 0, optional: true })(RawTbsNames.prototype, 'version');
AsnProp({ type: AsnPropTypes.Any })(RawTbsNames.prototype, 'serialNumber');
AsnProp({ type: AsnPropTypes.Any })(RawTbsNames.prototype, 'signature');
AsnProp({ type: RawName })(RawTbsNames.prototype, 'issuer');
AsnProp({ type: AsnPropTypes.Any })(RawTbsNames.prototype, 'validity');
AsnProp({ type: RawName })(RawTbsNames.prototype, 'subject');
AsnType({ type: AsnTypeTypes.Sequence })(RawTbsNames);

/** Returns [subject, issuer], with lossily decoded values replaced by their raw DER. */
function faithfulNames(certificate: Certificate, names: [Name, Name]): [Name, Name] {
  if (!names.some(mayBeLossy)) return names;
  const tbsRaw = certificate.tbsCertificateRaw;
  if (tbsRaw === undefined) throw new Error('TBSCertificate bytes missing');
  const raw = AsnConvert.parse(tbsRaw, RawTbsNames);
  return [withRawValues(names[0], raw.subject), withRawValues(names[1], raw.issuer)];
}

/** UniversalString (astral characters are cut) or a UTF8String that may be a Latin-1 fallback decoding. */
function valueMayBeLossy(value: AttributeValue): boolean {
  if (value.universalString !== undefined) return true;
  const text = value.utf8String;
  if (text === undefined) return false;
  let sawHigh = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return false; // only a valid UTF-8 decoding yields these
    if (c >= 0x80) sawHigh = true;
  }
  return sawHigh;
}

function mayBeLossy(name: Name): boolean {
  return name.some((rdn) => rdn.some((attribute) => valueMayBeLossy(attribute.value)));
}

function withRawValues(name: Name, raw: RawName): Name {
  if (!mayBeLossy(name)) return name;
  if (raw.length !== name.length) throw new Error('name shape mismatch');
  const rdns: RelativeDistinguishedName[] = [];
  for (const [i, rdn] of name.entries()) {
    const rawRdn = raw[i];
    if (rawRdn?.length !== rdn.length) throw new Error('name shape mismatch');
    const attributes: AttributeTypeAndValue[] = [];
    for (const [j, attribute] of rdn.entries()) {
      const der = rawRdn[j]?.value;
      if (der === undefined) throw new Error('name shape mismatch');
      const faithful = !valueMayBeLossy(attribute.value) || sameBytes(AsnConvert.serialize(attribute.value), der);
      attributes.push(
        faithful
          ? attribute
          : new AttributeTypeAndValue({ type: attribute.type, value: new AttributeValue({ anyValue: der }) }),
      );
    }
    rdns.push(new RelativeDistinguishedName(attributes));
  }
  return new Name(rdns);
}

function sameBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}
