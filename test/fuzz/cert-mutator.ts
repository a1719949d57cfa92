/**
 * Client leaves with hostile structure, built with @peculiar/asn1-x509 / asn1-schema and signed for
 * real (ECDSA P-256) by a test CA: the good leaf of a client certificate (v3, clientAuth, the
 * usual extensions) with a few mutations applied. Where a mutation needs bytes no schema would
 * write (a string type a name may not use, an IP address of five octets, an extension that is cut
 * off), the piece is raw DER (`tlv`) inside the schema's `Any` or OCTET STRING fields.
 */
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Time,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import type { CaHandle } from '../helpers/pki.ts';

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const ECDSA_SHA384 = '1.2.840.10045.4.3.3';
const DAY = 86_400_000;

// ---- raw DER --------------------------------------------------------------------------------------

/** A DER tag-length-value (X.690 §8.1; definite length, short or long form). */
export function tlv(tag: number, content: Uint8Array): Buffer {
  const length = content.length;
  const lengthOctets =
    length < 0x80
      ? [length]
      : length < 0x100
        ? [0x81, length]
        : length < 0x10000
          ? [0x82, length >> 8, length & 0xff]
          : [0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
  return Buffer.concat([Buffer.from([tag, ...lengthOctets]), content]);
}

/** An OBJECT IDENTIFIER's content octets (X.690 §8.19). */
function oidContent(oid: string): Buffer {
  const [first = 0, second = 0, ...rest] = oid.split('.').map(Number);
  const octets = [40 * first + second];
  for (const arc of rest) {
    const base128: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      base128.unshift((value & 0x7f) | 0x80);
    octets.push(...base128);
  }
  return Buffer.from(octets);
}

/** A positive INTEGER's minimal content octets for an unsigned big-endian value. */
function unsignedIntegerContent(value: Uint8Array): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const trimmed = Buffer.from(value.subarray(start));
  return (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed;
}

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => Uint8Array.from(bytes).buffer;

// ---- what a mutated leaf is -----------------------------------------------------------------------

/** ASN.1 string types a name attribute may be written in (and some it may not). */
export type StringKind =
  'utf8' | 'printable' | 'ia5' | 'teletex' | 'bmp' | 'universal' | 'numeric' | 'integer' | 'octets';
const STRING_TAG: Record<StringKind, number> = {
  utf8: 0x0c,
  printable: 0x13,
  ia5: 0x16,
  teletex: 0x14,
  bmp: 0x1e,
  universal: 0x1c,
  numeric: 0x12,
  integer: 0x02,
  octets: 0x04,
};

export interface Attribute {
  readonly type: string;
  readonly kind: StringKind;
  readonly value: string;
}

export type SanEntry =
  | { readonly type: 'dns' | 'uri' | 'email'; readonly value: string }
  | { readonly type: 'ip'; readonly octets: Uint8Array }
  | { readonly type: 'rid'; readonly oid: string }
  | { readonly type: 'other'; readonly oid: string; readonly value: Uint8Array }
  | { readonly type: 'dir'; readonly attributes: readonly Attribute[] }
  | { readonly type: 'raw'; readonly tag: number; readonly value: Uint8Array };

export type ExtensionName = 'bc' | 'ku' | 'eku' | 'ski' | 'aki' | 'san';

export type Mutation =
  | { readonly kind: 'serial'; readonly serial: 'zero' | 'negative' | 'long21' | 'long40' | 'empty' | 'nonMinimal' }
  | { readonly kind: 'subjectAttribute'; readonly attribute: Attribute; readonly replace: boolean }
  | {
      readonly kind: 'subjectShape';
      readonly shape: 'emptyRdn' | 'emptyName' | 'multiValued' | 'manyRdns' | 'hugeValue' | 'duplicateCn';
    }
  | { readonly kind: 'issuerName'; readonly name: 'empty' | 'other' }
  | {
      readonly kind: 'validity';
      readonly validity: 'expired' | 'notYetValid' | 'inverted' | 'generalized' | 'utc1950' | 'year9999';
    }
  | { readonly kind: 'extDuplicate'; readonly which: ExtensionName }
  | { readonly kind: 'extRemove'; readonly which: ExtensionName }
  | { readonly kind: 'extTruncated'; readonly which: ExtensionName; readonly keep: number }
  | { readonly kind: 'extTrailing'; readonly which: ExtensionName; readonly bytes: Uint8Array }
  | {
      readonly kind: 'extWrongType';
      readonly which: ExtensionName;
      readonly with: 'integer' | 'octets' | 'null' | 'utf8' | 'emptySequence' | 'garbage';
    }
  | { readonly kind: 'extCriticalFlip'; readonly which: ExtensionName }
  | { readonly kind: 'extUnknown'; readonly critical: boolean; readonly size: number }
  | { readonly kind: 'san'; readonly entries: readonly SanEntry[] }
  | { readonly kind: 'sanOversized'; readonly count: number }
  | { readonly kind: 'extensions'; readonly extensions: 'none' | 'empty' }
  | { readonly kind: 'version'; readonly version: 'v1' | 'v2' | 'v4' }
  | { readonly kind: 'signatureAlgorithmMismatch' }
  | { readonly kind: 'uniqueIds' };

/** Who signs: the CA the gateway trusts, another one, or another key under the trusted CA's name. */
export type SignedBy = 'trusted' | 'untrusted' | 'lookalike';

export interface LeafKey {
  readonly keys: webcrypto.CryptoKeyPair;
  readonly spki: SubjectPublicKeyInfo;
  readonly keyPem: string;
}

export interface Signer {
  readonly name: Name;
  readonly keyIdentifier: ArrayBuffer;
  readonly privateKey: webcrypto.CryptoKey;
}

export async function newLeafKey(): Promise<LeafKey> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const spki = AsnConvert.parse(await webcrypto.subtle.exportKey('spki', keys.publicKey), SubjectPublicKeyInfo);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
  return { keys, spki, keyPem };
}

export function signerOf(ca: CaHandle, privateKey = ca.keys.privateKey): Signer {
  const certificate = AsnConvert.parse(ca.der, Certificate);
  const ski = certificate.tbsCertificate.extensions?.find(
    (extension) => extension.extnID === id_ce_subjectKeyIdentifier,
  );
  const keyIdentifier =
    ski === undefined ? new ArrayBuffer(20) : AsnConvert.parse(ski.extnValue.buffer, SubjectKeyIdentifier).buffer;
  return { name: certificate.tbsCertificate.subject, keyIdentifier, privateKey };
}

// ---- building -------------------------------------------------------------------------------------

function stringOctets(kind: StringKind, value: string): Buffer {
  switch (kind) {
    case 'utf8':
      return Buffer.from(value, 'utf8');
    case 'bmp':
      return Buffer.from(value, 'utf16le').swap16();
    case 'universal': {
      // UCS-4, big-endian: four octets per code point.
      const codePoints: number[] = [];
      for (const char of value) codePoints.push(char.codePointAt(0) ?? 0);
      const octets = Buffer.alloc(codePoints.length * 4);
      codePoints.forEach((codePoint, index) => octets.writeUInt32BE(codePoint, index * 4));
      return octets;
    }
    case 'integer':
      return Buffer.of(value.length & 0x7f);
    default:
      return Buffer.from(value, 'latin1');
  }
}

function attributeOf({ type, kind, value }: Attribute): AttributeTypeAndValue {
  return new AttributeTypeAndValue({
    type,
    value: new AttributeValue({ anyValue: toArrayBuffer(tlv(STRING_TAG[kind], stringOctets(kind, value))) }),
  });
}

function nameOf(rdns: readonly (readonly Attribute[])[]): Name {
  return new Name(rdns.map((rdn) => new RelativeDistinguishedName(rdn.map(attributeOf))));
}

function sanEntryDer(entry: SanEntry): Buffer {
  switch (entry.type) {
    case 'dns':
      return tlv(0x82, Buffer.from(entry.value, 'latin1'));
    case 'email':
      return tlv(0x81, Buffer.from(entry.value, 'latin1'));
    case 'uri':
      return tlv(0x86, Buffer.from(entry.value, 'latin1'));
    case 'ip':
      return tlv(0x87, entry.octets);
    case 'rid':
      return tlv(0x88, oidContent(entry.oid));
    case 'other':
      return tlv(0xa0, Buffer.concat([tlv(0x06, oidContent(entry.oid)), tlv(0xa0, tlv(0x0c, entry.value))]));
    case 'dir':
      return tlv(0xa4, Buffer.from(AsnConvert.serialize(nameOf(entry.attributes.map((attribute) => [attribute])))));
    case 'raw':
      return tlv(entry.tag, entry.value);
  }
}

function sanExtension(entries: readonly SanEntry[]): Extension {
  return new Extension({
    extnID: id_ce_subjectAltName,
    critical: false,
    extnValue: new OctetString(tlv(0x30, Buffer.concat(entries.map(sanEntryDer)))),
  });
}

function standardExtensions(leaf: LeafKey, signer: Signer): Map<ExtensionName, Extension> {
  const ski = createHash('sha1').update(Buffer.from(leaf.spki.subjectPublicKey)).digest();
  const make = (extnID: string, critical: boolean, value: object): Extension =>
    new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
  return new Map<ExtensionName, Extension>([
    ['bc', make(id_ce_basicConstraints, true, new BasicConstraints({ cA: false }))],
    ['ku', make(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature))],
    ['eku', make(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_clientAuth]))],
    ['ski', make(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(ski))],
    [
      'aki',
      make(
        id_ce_authorityKeyIdentifier,
        false,
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(signer.keyIdentifier) }),
      ),
    ],
    ['san', sanExtension([{ type: 'dns', value: 'device.fuzz.test' }])],
  ]);
}

const WRONG_TYPE: Record<Extract<Mutation, { kind: 'extWrongType' }>['with'], Buffer> = {
  integer: tlv(0x02, Buffer.of(5)),
  octets: tlv(0x04, Buffer.from('abc')),
  null: tlv(0x05, Buffer.alloc(0)),
  utf8: tlv(0x0c, Buffer.from('not a structure')),
  emptySequence: tlv(0x30, Buffer.alloc(0)),
  garbage: Buffer.from([0xff, 0x00, 0x13, 0x37]),
};

function serialOf(serial: Extract<Mutation, { kind: 'serial' }>['serial'] | undefined, random: Buffer): Buffer {
  switch (serial) {
    case 'zero':
      return Buffer.of(0);
    case 'negative':
      return Buffer.concat([Buffer.of(0x80 | (random[0] ?? 0)), random.subarray(1, 8)]);
    case 'long21':
      return Buffer.concat([Buffer.of(0x11), random, random.subarray(0, 4)]);
    case 'long40':
      return Buffer.concat([Buffer.of(0x22), random, random, random.subarray(0, 7)]);
    case 'empty':
      return Buffer.alloc(0);
    case 'nonMinimal':
      return Buffer.concat([Buffer.of(0, 0x11), random.subarray(0, 8)]);
    default:
      return Buffer.concat([Buffer.of(0x10), random.subarray(0, 15)]);
  }
}

function timeOf(date: Date, form: 'utc' | 'generalized' | 'auto'): Time {
  const seconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
  if (form === 'utc') return new Time({ utcTime: seconds });
  if (form === 'generalized') return new Time({ generalTime: seconds });
  return new Time(seconds);
}

/**
 * The DER of a client leaf for `key`, signed by `signer`, with `mutations` applied in order to the
 * good leaf. `nowMs` anchors the validity period (the gateway's clock).
 */
export async function buildLeaf(
  key: LeafKey,
  signer: Signer,
  mutations: readonly Mutation[],
  nowMs: number,
  random: Buffer,
): Promise<Buffer> {
  const subjectRdns: Attribute[][] = [
    [{ type: '2.5.4.10', kind: 'utf8', value: 'Portcullis Fuzz' }],
    [{ type: '2.5.4.3', kind: 'utf8', value: 'fuzz-leaf' }],
  ];
  let issuer: Name = signer.name;
  let notBefore = timeOf(new Date(nowMs - DAY), 'auto');
  let notAfter = timeOf(new Date(nowMs + 30 * DAY), 'auto');
  const standard = standardExtensions(key, signer);
  let extensions: Extension[] | 'none' | 'empty' = [...standard.values()];
  /** Version.v1, v2, v3, or 3 (a "v4" no one defined). */
  let version: number = Version.v3;
  let serial: Buffer = serialOf(undefined, random);
  let innerAlgorithm = ECDSA_SHA256;
  let uniqueIds = false;
  const indexOf = (list: Extension[], which: ExtensionName): number =>
    list.findIndex((extension) => extension.extnID === standard.get(which)?.extnID);
  const replaceValue = (which: ExtensionName, value: (der: Buffer) => Buffer): void => {
    if (!Array.isArray(extensions)) return;
    const index = indexOf(extensions, which);
    const current = extensions[index];
    if (current === undefined) return;
    extensions[index] = new Extension({
      extnID: current.extnID,
      critical: current.critical,
      extnValue: new OctetString(value(Buffer.from(current.extnValue.buffer))),
    });
  };

  for (const mutation of mutations) {
    switch (mutation.kind) {
      case 'serial':
        serial = serialOf(mutation.serial, random);
        break;
      case 'subjectAttribute':
        if (mutation.replace) subjectRdns.splice(-1, 1, [mutation.attribute]);
        else subjectRdns.push([mutation.attribute]);
        break;
      case 'subjectShape':
        if (mutation.shape === 'emptyRdn') subjectRdns.push([]);
        else if (mutation.shape === 'emptyName') subjectRdns.splice(0);
        else if (mutation.shape === 'multiValued')
          subjectRdns.push([
            { type: '2.5.4.11', kind: 'utf8', value: 'unit' },
            { type: '2.5.4.3', kind: 'utf8', value: 'second-cn' },
          ]);
        else if (mutation.shape === 'manyRdns')
          for (let index = 0; index < 200; index++)
            subjectRdns.push([{ type: '2.5.4.11', kind: 'utf8', value: `ou-${index}` }]);
        else if (mutation.shape === 'hugeValue')
          subjectRdns.push([{ type: '2.5.4.3', kind: 'utf8', value: 'h'.repeat(20_000) }]);
        else subjectRdns.push([{ type: '2.5.4.3', kind: 'utf8', value: 'fuzz-leaf' }]);
        break;
      case 'issuerName':
        issuer =
          mutation.name === 'empty'
            ? new Name([])
            : nameOf([[{ type: '2.5.4.3', kind: 'utf8', value: 'Somebody Else' }]]);
        break;
      case 'validity':
        if (mutation.validity === 'expired') {
          notBefore = timeOf(new Date(nowMs - 30 * DAY), 'auto');
          notAfter = timeOf(new Date(nowMs - DAY), 'auto');
        } else if (mutation.validity === 'notYetValid') {
          notBefore = timeOf(new Date(nowMs + DAY), 'auto');
        } else if (mutation.validity === 'inverted') {
          [notBefore, notAfter] = [notAfter, notBefore];
        } else if (mutation.validity === 'generalized') {
          notBefore = timeOf(new Date(nowMs - DAY), 'generalized');
          notAfter = timeOf(new Date(Date.UTC(2049, 11, 31)), 'generalized');
        } else if (mutation.validity === 'utc1950') {
          notBefore = timeOf(new Date(Date.UTC(1950, 0, 1)), 'utc');
        } else {
          notAfter = timeOf(new Date(Date.UTC(9999, 11, 31, 23, 59, 59)), 'generalized');
        }
        break;
      case 'extDuplicate': {
        const extension = standard.get(mutation.which);
        if (Array.isArray(extensions) && extension !== undefined) extensions.push(extension);
        break;
      }
      case 'extRemove':
        if (Array.isArray(extensions)) {
          const index = indexOf(extensions, mutation.which);
          if (index >= 0) extensions.splice(index, 1);
        }
        break;
      case 'extTruncated':
        replaceValue(mutation.which, (der) => der.subarray(0, Math.floor(der.length * mutation.keep)));
        break;
      case 'extTrailing':
        replaceValue(mutation.which, (der) => Buffer.concat([der, mutation.bytes]));
        break;
      case 'extWrongType':
        replaceValue(mutation.which, () => WRONG_TYPE[mutation.with]);
        break;
      case 'extCriticalFlip':
        if (Array.isArray(extensions)) {
          const index = indexOf(extensions, mutation.which);
          const current = extensions[index];
          if (current !== undefined)
            extensions[index] = new Extension({
              extnID: current.extnID,
              critical: !current.critical,
              extnValue: current.extnValue,
            });
        }
        break;
      case 'extUnknown':
        if (Array.isArray(extensions))
          extensions.push(
            new Extension({
              extnID: '1.3.6.1.4.1.55555.1.1',
              critical: mutation.critical,
              extnValue: new OctetString(tlv(0x04, Buffer.alloc(mutation.size, 0x75))),
            }),
          );
        break;
      case 'san':
        if (Array.isArray(extensions)) {
          const index = indexOf(extensions, 'san');
          const extension = sanExtension(mutation.entries);
          if (index >= 0) extensions[index] = extension;
          else extensions.push(extension);
        }
        break;
      case 'sanOversized':
        if (Array.isArray(extensions)) {
          const index = indexOf(extensions, 'san');
          const entries = Array.from({ length: mutation.count }, (_, i): SanEntry => ({
            type: 'dns',
            value: `n${i}.fuzz.test`,
          }));
          if (index >= 0) extensions[index] = sanExtension(entries);
        }
        break;
      case 'extensions':
        extensions = mutation.extensions;
        break;
      case 'version':
        version = mutation.version === 'v1' ? Version.v1 : mutation.version === 'v2' ? Version.v2 : 3;
        break;
      case 'signatureAlgorithmMismatch':
        innerAlgorithm = ECDSA_SHA384;
        break;
      case 'uniqueIds':
        uniqueIds = true;
        break;
    }
  }

  const tbs = new TBSCertificate({
    serialNumber: toArrayBuffer(serial),
    signature: new AlgorithmIdentifier({ algorithm: innerAlgorithm }),
    issuer,
    validity: new Validity({ notBefore: new Date(0), notAfter: new Date(0) }),
    subject: nameOf(subjectRdns),
    subjectPublicKeyInfo: key.spki,
  });
  Object.assign(tbs, { version });
  tbs.validity.notBefore = notBefore;
  tbs.validity.notAfter = notAfter;
  if (uniqueIds) {
    tbs.issuerUniqueID = toArrayBuffer(Buffer.from([0x00, 0x01, 0x02]));
    tbs.subjectUniqueID = toArrayBuffer(Buffer.from([0x00, 0x03, 0x04]));
  }
  if (extensions === 'empty') tbs.extensions = new Extensions([]);
  else if (extensions !== 'none') tbs.extensions = new Extensions(extensions);
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const raw = Buffer.from(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer.privateKey, tbsDer));
  const signature = tlv(
    0x30,
    Buffer.concat([
      tlv(0x02, unsignedIntegerContent(raw.subarray(0, 32))),
      tlv(0x02, unsignedIntegerContent(raw.subarray(32))),
    ]),
  );
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 }),
    signatureValue: toArrayBuffer(signature),
  });
  return Buffer.from(AsnConvert.serialize(certificate));
}

export function pemOf(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END CERTIFICATE-----\n`;
}
