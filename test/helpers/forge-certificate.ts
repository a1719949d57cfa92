/**
 * Certificates assembled field by field from asn1-x509 structures and signed with node:crypto, for tests that
 * need exactly one flaw: a weak or odd key (RSA-1024, RSA-2044, DSA, P-192, Ed448), a serial of zero or 22
 * octets, a duplicate or unknown critical extension, a malformed subjectAltName, name constraints of any shape,
 * a missing key identifier. @peculiar/x509 (pki.ts) refuses to make most of these, and the openssl CLI makes
 * them differently from one version to the next. The private key comes along as PEM, so a TLS client can present
 * the certificate in a real handshake.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
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
  KeyIdentifier,
  KeyUsage,
  Name,
  OtherName,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { keyIdentifier } from '../../src/pki/key-identifier.ts';
import {
  RawGeneralName,
  RawGeneralNames,
  RawGeneralSubtree,
  RawGeneralSubtrees,
  RawNameConstraints,
} from '../../src/pki/general-names.ts';
import { toPem } from '../../src/pki/pem.ts';

const DAY_MS = 86_400_000;

export type KeySpec =
  | 'p256'
  | 'p384'
  | 'p521'
  | 'p192'
  | 'p224'
  | 'secp256k1'
  | 'ed25519'
  | 'ed448'
  | 'dsa'
  | { readonly rsa: number }
  | { readonly rsaPss: number };

export interface ForgedKey {
  readonly privateKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;
  /** PKCS #8 PEM of the private key. */
  readonly keyPem: string;
}

const CURVES: Record<string, string> = {
  p256: 'prime256v1',
  p384: 'secp384r1',
  p521: 'secp521r1',
  p192: 'prime192v1',
  p224: 'secp224r1',
  secp256k1: 'secp256k1',
};

export function newKey(spec: KeySpec = 'p256'): ForgedKey {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  if (typeof spec === 'object') {
    pair =
      'rsa' in spec
        ? generateKeyPairSync('rsa', { modulusLength: spec.rsa })
        : generateKeyPairSync('rsa-pss', { modulusLength: spec.rsaPss });
  } else if (spec === 'ed25519') pair = generateKeyPairSync('ed25519');
  else if (spec === 'ed448') pair = generateKeyPairSync('ed448');
  else if (spec === 'dsa') pair = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
  else pair = generateKeyPairSync('ec', { namedCurve: CURVES[spec] ?? spec });
  return {
    privateKey: pair.privateKey,
    spki: pair.publicKey.export({ type: 'spki', format: 'der' }),
    keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** One subjectAltName or name-constraint entry. `ip` is the raw OCTET STRING (4/16 bytes, or 8/32 with a mask). */
export type NameSpec =
  | { readonly dns: string }
  | { readonly email: string }
  | { readonly uri: string }
  | { readonly ip: Uint8Array | readonly number[] }
  | { readonly dn: string }
  | { readonly otherName: { readonly typeId: string; readonly valueDer: Uint8Array } };

export interface ForgeOptions {
  /** `CN=device,O=Example` (most specific first); `E=` is an emailAddress attribute; '' for an empty name. */
  readonly subject: string;
  readonly key: ForgedKey;
  /** Default: self-signed. */
  readonly issuer?: { readonly subject: string; readonly key: ForgedKey };
  /** Overrides the issuer name written in the certificate (the signature still comes from `issuer.key`). */
  readonly issuerName?: string;
  /** basicConstraints cA; `null`: no basicConstraints at all. Default false. */
  readonly ca?: boolean | null;
  /** Default true. */
  readonly basicConstraintsCritical?: boolean;
  /** keyUsage bits; `null`: no keyUsage. Default keyCertSign|cRLSign for CAs, digitalSignature otherwise. */
  readonly keyUsage?: number | null;
  /** extendedKeyUsage OIDs; `null`: none. Default clientAuth for leaves, none for CAs. */
  readonly eku?: readonly string[] | null;
  /** Default true. */
  readonly subjectKeyIdentifier?: boolean;
  /** Default true unless self-signed. */
  readonly authorityKeyIdentifier?: boolean;
  readonly san?: readonly NameSpec[];
  readonly nameConstraints?: { readonly permitted?: readonly NameSpec[]; readonly excluded?: readonly NameSpec[] };
  /** Appended as given, after the others (a duplicate is allowed: that is the point). */
  readonly extensions?: readonly Extension[];
  /** Content octets of the serial INTEGER. Default: 16 random bytes, positive. */
  readonly serial?: Uint8Array;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export interface Forged {
  readonly der: Buffer;
  readonly pem: string;
  readonly key: ForgedKey;
  readonly subject: string;
}

export const KU = {
  digitalSignature: 0x01,
  keyEncipherment: 0x04,
  keyCertSign: 0x20,
  cRLSign: 0x40,
} as const;
export const OID = {
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  subjectAltName: '2.5.29.17',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  nameConstraints: '2.5.29.30',
  basicConstraints: '2.5.29.19',
  emailAddress: '1.2.840.113549.1.9.1',
} as const;

/** An extension with the given DER value bytes (or a value to serialise). */
export function extension(extnID: string, value: Uint8Array | object, critical = false): Extension {
  const der = value instanceof Uint8Array ? value : new Uint8Array(AsnConvert.serialize(value));
  return new Extension({ extnID, critical, extnValue: new OctetString(der) });
}

export function forgeCertificate(options: ForgeOptions): Forged {
  const issuer = options.issuer ?? { subject: options.subject, key: options.key };
  const selfSigned = options.issuer === undefined;
  const ca = options.ca === undefined ? false : options.ca;
  const extensions: Extension[] = [];
  if (ca !== null) {
    extensions.push(
      extension(OID.basicConstraints, new BasicConstraints({ cA: ca }), options.basicConstraintsCritical ?? true),
    );
  }
  const keyUsage =
    options.keyUsage === undefined
      ? ca === true
        ? KU.keyCertSign | KU.cRLSign
        : KU.digitalSignature
      : options.keyUsage;
  if (keyUsage !== null) extensions.push(extension('2.5.29.15', new KeyUsage(keyUsage), true));
  const eku = options.eku === undefined ? (ca === true ? null : [OID.clientAuth]) : options.eku;
  if (eku !== null) extensions.push(extension('2.5.29.37', new ExtendedKeyUsage([...eku])));
  if (options.subjectKeyIdentifier ?? true) {
    extensions.push(extension('2.5.29.14', new SubjectKeyIdentifier(keyIdentifier(options.key.spki))));
  }
  if (options.authorityKeyIdentifier ?? !selfSigned) {
    const aki = new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(issuer.key.spki)) });
    extensions.push(extension('2.5.29.35', aki));
  }
  if (options.san !== undefined) {
    extensions.push(extension(OID.subjectAltName, new RawGeneralNames(options.san.map(generalName))));
  }
  if (options.nameConstraints !== undefined) {
    extensions.push(extension(OID.nameConstraints, nameConstraints(options.nameConstraints), true));
  }
  extensions.push(...(options.extensions ?? []));
  const [algorithm, hash] = signatureAlgorithm(issuer.key.privateKey);
  const now = Date.now();
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: arrayBuffer(options.serial ?? positiveSerial()),
    signature: algorithm,
    issuer: distinguishedName(options.issuerName ?? issuer.subject),
    validity: new Validity({
      notBefore: options.notBefore ?? new Date(now - DAY_MS),
      notAfter: options.notAfter ?? new Date(now + 30 * DAY_MS),
    }),
    subject: distinguishedName(options.subject),
    subjectPublicKeyInfo: AsnConvert.parse(options.key.spki, SubjectPublicKeyInfo),
    extensions: new Extensions(extensions),
  });
  const signature = sign(hash, new Uint8Array(AsnConvert.serialize(tbs)), issuer.key.privateKey);
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: arrayBuffer(signature),
  });
  const der = Buffer.from(AsnConvert.serialize(certificate));
  return { der, pem: toPem(der, 'CERTIFICATE'), key: options.key, subject: options.subject };
}

/** A root CA (self-signed, critical basicConstraints, keyCertSign, SKI) unless options say otherwise. */
export function forgeRoot(subject: string, options: Partial<ForgeOptions> = {}): Forged {
  return forgeCertificate({ subject, key: options.key ?? newKey(), ca: true, ...options });
}

/** An intermediate CA issued by `issuer`. */
export function forgeIntermediate(issuer: Forged, subject: string, options: Partial<ForgeOptions> = {}): Forged {
  return forgeCertificate({ subject, key: options.key ?? newKey(), ca: true, issuer, ...options });
}

/** A clientAuth leaf issued by `issuer`. */
export function forgeLeaf(issuer: Forged, subject: string, options: Partial<ForgeOptions> = {}): Forged {
  return forgeCertificate({ subject, key: options.key ?? newKey(), issuer, ...options });
}

function signatureAlgorithm(key: KeyObject): [AlgorithmIdentifier, string | null] {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    return [new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null }), 'sha256'];
  }
  if (type === 'ed25519') return [new AlgorithmIdentifier({ algorithm: '1.3.101.112' }), null];
  if (type === 'ed448') return [new AlgorithmIdentifier({ algorithm: '1.3.101.113' }), null];
  if (type === 'dsa') return [new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.3.2' }), 'sha256'];
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return [new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.3' }), 'sha384'];
  if (curve === 'secp521r1') return [new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.4' }), 'sha512'];
  return [new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }), 'sha256'];
}

const ATTRIBUTES: Record<string, string> = {
  CN: '2.5.4.3',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  C: '2.5.4.6',
  E: OID.emailAddress,
};

export function distinguishedName(text: string): Name {
  if (text === '') return new Name([]);
  const rdns = text
    .split(',')
    .reverse()
    .map((part) => {
      const equals = part.indexOf('=');
      const type = part.slice(0, equals);
      const value = part.slice(equals + 1);
      const attributeValue =
        type === 'C'
          ? new AttributeValue({ printableString: value })
          : type === 'E'
            ? new AttributeValue({ ia5String: value })
            : new AttributeValue({ utf8String: value });
      const oid = ATTRIBUTES[type];
      if (oid === undefined) throw new Error(`unknown attribute ${type}`);
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: oid, value: attributeValue })]);
    });
  return new Name(rdns);
}

export function generalName(spec: NameSpec): RawGeneralName {
  const name = new RawGeneralName();
  if ('dns' in spec) name.dNSName = spec.dns;
  else if ('email' in spec) name.rfc822Name = spec.email;
  else if ('uri' in spec) name.uniformResourceIdentifier = spec.uri;
  else if ('ip' in spec) name.iPAddress = arrayBuffer(Uint8Array.from(spec.ip));
  else if ('dn' in spec) name.directoryName = distinguishedName(spec.dn);
  else name.otherName = new OtherName({ typeId: spec.otherName.typeId, value: arrayBuffer(spec.otherName.valueDer) });
  return name;
}

function nameConstraints(spec: NonNullable<ForgeOptions['nameConstraints']>): RawNameConstraints {
  const subtrees = (names: readonly NameSpec[]): RawGeneralSubtrees =>
    new RawGeneralSubtrees(
      names.map((name) => {
        const subtree = new RawGeneralSubtree();
        subtree.base = generalName(name);
        return subtree;
      }),
    );
  const constraints = new RawNameConstraints();
  if (spec.permitted !== undefined) constraints.permittedSubtrees = subtrees(spec.permitted);
  if (spec.excluded !== undefined) constraints.excludedSubtrees = subtrees(spec.excluded);
  return constraints;
}

function positiveSerial(): Uint8Array {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes;
}

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
