/**
 * validateMtlsUpload over the bad-input list of hostile-input.md "Management API": every bad certificate is made at
 * test time (by openssl, or assembled here from asn1-x509 structures and signed with node:crypto when openssl
 * will not make it) and must be refused with GW_ERR_CERT_UPLOAD_INVALID and its reason. Good uploads (a root
 * made by openssl; root + intermediate; a leaf with its key) must be accepted and described as openssl reads them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
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
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { needsOpenssl, OpensslWorkdir } from '../../test/helpers/openssl.ts';
import { GatewayError } from '../errors/index.ts';
import { toPem } from './pem.ts';
import { keyIdentifier } from './key-identifier.ts';
import { validateMtlsUpload, type MtlsUploadInput } from './mtls-upload.ts';
import {
  extension,
  forgeIntermediate,
  forgeLeaf,
  forgeRoot,
  newKey,
  OID,
} from '../../test/helpers/forge-certificate.ts';

const DAY_MS = 86_400_000;

let work: OpensslWorkdir;

/** Runs openssl in the test directory, which must succeed; stdout + stderr. */
function opensslOk(...args: string[]): string {
  const [ok, output] = work.check(args);
  assert.ok(ok, output);
  return output;
}

// --- Certificates assembled from asn1-x509 structures ------------------------------------------------------------

interface KeyPair {
  readonly privateKey: KeyObject;
  readonly spki: Buffer;
}

function keyPair(type: 'ec' | 'rsa' | 'ed25519', size?: string | number): KeyPair {
  const pair =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: (size as string | undefined) ?? 'prime256v1' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: (size as number | undefined) ?? 2048 })
        : generateKeyPairSync('ed25519');
  return { privateKey: pair.privateKey, spki: pair.publicKey.export({ type: 'spki', format: 'der' }) };
}

const OIDS: Record<string, string> = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6' };

/** An RFC 4514 string (most specific first, no escapes) as a Name. */
function dn(text: string): Name {
  if (text === '') return new Name([]);
  const rdns = text
    .split(',')
    .reverse()
    .map((part) => {
      const [type = '', value = ''] = part.split('=');
      const attributeValue =
        type === 'C' ? new AttributeValue({ printableString: value }) : new AttributeValue({ utf8String: value });
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: OIDS[type], value: attributeValue })]);
    });
  return new Name(rdns);
}

function ext(extnID: string, value: unknown, critical = false): Extension {
  const der = value instanceof Uint8Array ? value : new Uint8Array(AsnConvert.serialize(value));
  return new Extension({ extnID, critical, extnValue: new OctetString(der) });
}

const KU_DIGITAL_SIGNATURE = 1;
const KU_KEY_CERT_SIGN = 32;
const KU_CRL_SIGN = 64;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const SIG = {
  ecdsaSha256: ['1.2.840.10045.4.3.2', 'sha256'],
  ecdsaSha1: ['1.2.840.10045.4.1', 'sha1'],
  rsaSha256: ['1.2.840.113549.1.1.11', 'sha256'],
  rsaMd5: ['1.2.840.113549.1.1.4', 'md5'],
  rsaSha1: ['1.2.840.113549.1.1.5', 'sha1'],
  ed25519: ['1.3.101.112', null],
} as const;

interface ForgeOptions {
  readonly subject: string;
  readonly key: KeyPair;
  /** Default: self-signed. */
  readonly issuer?: { readonly subject: string; readonly key: KeyPair };
  /** `true`/`false`: basicConstraints cA (critical unless basicCritical is false); `null`: no extension. */
  readonly ca?: boolean | null;
  readonly basicCritical?: boolean;
  /** keyUsage bits; `null`: no extension. Default keyCertSign|cRLSign for CAs, digitalSignature for leaves. */
  readonly keyUsage?: number | null;
  readonly eku?: readonly string[];
  readonly extra?: readonly Extension[];
  readonly serial?: Uint8Array;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly signature?: readonly [string, string | null];
  /** The inner (TBSCertificate) signature algorithm, when it must differ from the outer one. */
  readonly innerSignature?: string;
  /** A SubjectPublicKeyInfo to put in place of the key's (the signature then comes from `key` all the same). */
  readonly spki?: Buffer;
}

interface Forged {
  readonly pem: string;
  readonly der: Buffer;
  readonly subject: string;
  readonly key: KeyPair;
}

function forge(options: ForgeOptions): Forged {
  const issuer = options.issuer ?? { subject: options.subject, key: options.key };
  const ca = options.ca === undefined ? false : options.ca;
  const spki = options.spki ?? options.key.spki;
  const extensions: Extension[] = [];
  if (ca !== null) extensions.push(ext('2.5.29.19', new BasicConstraints({ cA: ca }), options.basicCritical ?? true));
  const keyUsage =
    options.keyUsage === undefined
      ? ca === true
        ? KU_KEY_CERT_SIGN | KU_CRL_SIGN
        : KU_DIGITAL_SIGNATURE
      : options.keyUsage;
  if (keyUsage !== null) extensions.push(ext('2.5.29.15', new KeyUsage(keyUsage), true));
  if (options.eku !== undefined) extensions.push(ext('2.5.29.37', new ExtendedKeyUsage([...options.eku])));
  extensions.push(ext('2.5.29.14', new SubjectKeyIdentifier(keyIdentifier(spki))));
  const aki = new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(issuer.key.spki)) });
  extensions.push(ext('2.5.29.35', aki), ...(options.extra ?? []));
  const [oid, hash] =
    options.signature ?? (issuer.key.privateKey.asymmetricKeyType === 'rsa' ? SIG.rsaSha256 : SIG.ecdsaSha256);
  const algorithm = (id: string): AlgorithmIdentifier =>
    new AlgorithmIdentifier(id.startsWith('1.2.840.113549') ? { algorithm: id, parameters: null } : { algorithm: id });
  const serial = options.serial ?? Buffer.concat([Buffer.from([0x42]), randomBytes(15)]);
  const now = Date.now();
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serial),
    signature: algorithm(options.innerSignature ?? oid),
    issuer: dn(issuer.subject),
    validity: new Validity({
      notBefore: options.notBefore ?? new Date(now - DAY_MS),
      notAfter: options.notAfter ?? new Date(now + 30 * DAY_MS),
    }),
    subject: dn(options.subject),
    subjectPublicKeyInfo: AsnConvert.parse(spki, SubjectPublicKeyInfo),
    extensions: new Extensions(extensions),
  });
  const signatureValue = sign(hash, new Uint8Array(AsnConvert.serialize(tbs)), issuer.key.privateKey);
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm(oid),
    signatureValue: toArrayBuffer(signatureValue),
  });
  const der = Buffer.from(AsnConvert.serialize(certificate));
  return { pem: toPem(der, 'CERTIFICATE'), der, subject: options.subject, key: options.key };
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}

/** SPKI of an RSA key with a `bits`-bit modulus (not a real key: enough to be refused for its size). */
function fakeRsaSpki(bits: number): Buffer {
  const modulus = Buffer.alloc(Math.ceil(bits / 8), 0xff);
  modulus[0] = 0xff >> (modulus.length * 8 - bits);
  const rsaPublicKey = tlv(0x30, tlv(0x02, Buffer.from([0]), modulus), tlv(0x02, Buffer.from('010001', 'hex')));
  const algorithm = tlv(0x30, Buffer.from('06092a864886f70d0101010500', 'hex'));
  return tlv(0x30, algorithm, tlv(0x03, Buffer.from([0]), rsaPublicKey));
}

/** SPKI with the given algorithm identifier DER and a dummy key. */
function fakeSpki(algorithmHex: string): Buffer {
  return tlv(0x30, Buffer.from(algorithmHex, 'hex'), tlv(0x03, Buffer.from([0, 4]), randomBytes(48)));
}

// --- The tests --------------------------------------------------------------------------------------------------

interface BadCase {
  readonly name: string;
  readonly input: () => MtlsUploadInput;
  readonly reason: string | RegExp;
  /** Default GW_ERR_CERT_UPLOAD_INVALID; a client-chain rule that applies to CAs has a code of its own. */
  readonly code?: string;
}

function assertRefused(
  input: MtlsUploadInput,
  reason: string | RegExp,
  name: string,
  code = 'GW_ERR_CERT_UPLOAD_INVALID',
): GatewayError {
  let caught: unknown;
  try {
    validateMtlsUpload(input);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof GatewayError, `${name}: expected a refusal, got ${String(caught)}`);
  assert.equal(caught.code, code, name);
  if (typeof reason === 'string') assert.ok(caught.message.includes(reason), `${name}: ${caught.message}`);
  else assert.match(caught.message, reason, name);
  return caught;
}

describe('validateMtlsUpload', needsOpenssl, () => {
  let ec: KeyPair;
  let ec2: KeyPair;
  let rsa: KeyPair;
  let root: Forged;
  let intermediate: Forged;
  let leaf: Forged;
  let opensslRoot: string;

  before(() => {
    work = new OpensslWorkdir();
    ec = keyPair('ec');
    ec2 = keyPair('ec');
    rsa = keyPair('rsa');
    root = forge({ subject: 'CN=Upload Root,O=Portcullis Tests', key: ec, ca: true });
    intermediate = forge({ subject: 'CN=Upload Intermediate,O=Portcullis Tests', key: ec2, ca: true, issuer: root });
    leaf = forge({ subject: 'CN=device-7', key: keyPair('ec'), issuer: intermediate, eku: [CLIENT_AUTH] });
    opensslOk(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'example-ca.key',
      '-days',
      '365',
      '-subj',
      '/C=US/ST=San Francisco/L=California/O=Example Inc.',
      '-out',
      'example-ca.pem',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    opensslRoot = work.read('example-ca.pem');
  });

  after(() => work.remove());

  test('a root made by openssl: accepted and described as Cloudflare does, fields as openssl reads them', () => {
    const result = validateMtlsUpload({ ca: true, certificatesPem: opensslRoot });
    assert.equal(result.description.issuer, 'O=Example Inc.,L=California,ST=San Francisco,C=US');
    assert.equal(
      opensslOk('x509', '-in', 'example-ca.pem', '-noout', '-issuer', '-nameopt', 'RFC2253'),
      `issuer=${result.description.issuer}\n`,
    );
    const serial = opensslOk('x509', '-in', 'example-ca.pem', '-noout', '-serial').trim().split('=')[1] ?? '';
    assert.equal(result.description.serialNumberDecimal, BigInt(`0x${serial}`).toString(10));
    assert.equal(result.description.signature, 'SHA256WithRSA');
    const fingerprint = opensslOk('x509', '-in', 'example-ca.pem', '-noout', '-fingerprint', '-sha256');
    assert.equal(
      result.description.fingerprintSha256,
      fingerprint.trim().split('=')[1]?.replaceAll(':', '').toLowerCase(),
    );
    const endDate = opensslOk('x509', '-in', 'example-ca.pem', '-noout', '-enddate').trim().split('=')[1] ?? '';
    assert.equal(result.description.expiresOn.getTime(), Date.parse(endDate));
    assert.equal(result.normalisedPem, opensslRoot);
    assert.equal(result.certificates.length, 1);
  });

  test('root + intermediate, with text, a BOM and CRLF around them: accepted, normalised, and it anchors a client', () => {
    const messy = `\ufeffBag Attributes: none\r\n${intermediate.pem.replaceAll('\n', '\r\n')}\r\nsubject=root\r\n${root.pem}`;
    const result = validateMtlsUpload({ ca: true, certificatesPem: messy });
    assert.equal(result.normalisedPem, intermediate.pem + root.pem);
    assert.equal(result.description.issuer, 'CN=Upload Root,O=Portcullis Tests');
    assert.equal(result.description.signature, 'ECDSAWithSHA256');
    work.write('bundle.pem', result.normalisedPem);
    work.write('leaf.pem', leaf.pem);
    assert.match(opensslOk('verify', '-CAfile', 'bundle.pem', '-purpose', 'sslclient', 'leaf.pem'), /leaf\.pem: OK/);
  });

  test('a leaf with its chain and its key (PKCS #8, PKCS #1, SEC 1): accepted', () => {
    const key = leaf.key.privateKey;
    const pkcs8 = String(key.export({ type: 'pkcs8', format: 'pem' }));
    const sec1 = String(key.export({ type: 'sec1', format: 'pem' }));
    for (const privateKeyPem of [pkcs8, sec1]) {
      const result = validateMtlsUpload({ ca: false, certificatesPem: leaf.pem + intermediate.pem, privateKeyPem });
      assert.equal(result.certificates.length, 2);
      assert.equal(result.description.issuer, 'CN=Upload Intermediate,O=Portcullis Tests');
    }
    const rsaLeaf = forge({ subject: 'CN=rsa-device', key: rsa, issuer: root, eku: [CLIENT_AUTH] });
    const pkcs1 = String(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }));
    assert.ok(validateMtlsUpload({ ca: false, certificatesPem: rsaLeaf.pem + root.pem, privateKeyPem: pkcs1 }));
    // A leaf alone, without a key and without its issuer, is a valid leaf upload too, for any usage it allows.
    assert.ok(validateMtlsUpload({ ca: false, certificatesPem: leaf.pem, leafUsage: 'clientAuth' }));
    const server = forge({ subject: 'CN=www.example.com', key: ec2, issuer: root, eku: [SERVER_AUTH] });
    assert.ok(validateMtlsUpload({ ca: false, certificatesPem: server.pem, leafUsage: 'serverAuth' }));
    assert.ok(validateMtlsUpload({ ca: false, certificatesPem: server.pem }));
  });

  test('a private key is never echoed, wherever it is sent', () => {
    const keyPem = String(leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const base64 = keyPem.split('\n')[1] ?? 'missing';
    const inputs: [MtlsUploadInput, string][] = [
      [{ ca: true, certificatesPem: root.pem + keyPem }, 'private keys must not be sent in certificates'],
      [{ ca: true, certificatesPem: keyPem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!') }, 'private keys must not be sent'],
      [{ ca: true, certificatesPem: root.pem, privateKeyPem: keyPem }, 'must not be sent with a CA certificate'],
      [
        {
          ca: false,
          certificatesPem: forge({ subject: 'CN=other', key: ec2, issuer: root }).pem,
          privateKeyPem: keyPem,
        },
        'does not belong',
      ],
      [
        {
          ca: false,
          certificatesPem: leaf.pem,
          privateKeyPem: keyPem.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\n*'),
        },
        'not a well-formed PEM',
      ],
    ];
    for (const [input, reason] of inputs) {
      const error = assertRefused(input, reason, reason);
      assert.ok(!error.message.includes(base64), 'the key must not appear in the message');
      assert.equal(error.cause, undefined);
    }
  });

  const bad: BadCase[] = [
    // Malformed PEM
    { name: 'nothing', input: () => ({ ca: true, certificatesPem: '' }), reason: 'no certificate given' },
    {
      name: 'truncated base64',
      input: () => ({ ca: true, certificatesPem: root.pem.replace(/\n[A-Za-z0-9+/=]+\n-----END/, 'AB\n-----END') }),
      reason: 'invalid or truncated base64',
    },
    {
      name: 'missing END line',
      input: () => ({ ca: true, certificatesPem: root.pem.replace('-----END CERTIFICATE-----', '') }),
      reason: 'missing END line',
    },
    {
      name: 'mismatched labels',
      input: () => ({ ca: true, certificatesPem: root.pem.replace('END CERTIFICATE', 'END PRIVATE KEY') }),
      reason: 'BEGIN CERTIFICATE ends with END PRIVATE KEY',
    },
    { name: 'NUL bytes', input: () => ({ ca: true, certificatesPem: root.pem + '\0' }), reason: 'NUL bytes' },
    { name: 'non-UTF-8 bytes', input: () => ({ ca: true, certificatesPem: `\ufffd${root.pem}` }), reason: 'not UTF-8' },
    {
      name: 'DER',
      input: () => ({ ca: true, certificatesPem: root.der.toString('latin1') }),
      reason: /NUL|no PEM block/,
    },
    {
      name: 'JWK',
      input: () => ({ ca: true, certificatesPem: '{"kty":"EC","crv":"P-256"}' }),
      reason: 'no PEM block found',
    },
    {
      name: 'PKCS#7',
      input: () => {
        work.write('p7-root.pem', root.pem);
        opensslOk('crl2pkcs7', '-nocrl', '-certfile', 'p7-root.pem', '-out', 'root.p7b');
        return { ca: true, certificatesPem: work.read('root.p7b') };
      },
      reason: 'PKCS7 is not accepted',
    },
    {
      name: 'a CSR',
      input: () => {
        opensslOk(
          'req',
          '-new',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          'r.key',
          '-subj',
          '/CN=r',
          '-out',
          'r.csr',
        );
        return { ca: true, certificatesPem: root.pem + work.read('r.csr') };
      },
      reason: 'certificate requests (CSRs) must not be sent',
    },
    {
      name: 'another kind of block',
      input: () => ({ ca: true, certificatesPem: root.pem + toPem(Buffer.from('x'), 'X509 CRL') }),
      reason: 'expected CERTIFICATE blocks, found X509 CRL',
    },
    {
      name: 'trailing bytes after the DER',
      input: () => ({ ca: true, certificatesPem: toPem(Buffer.concat([root.der, Buffer.from([0])]), 'CERTIFICATE') }),
      reason: 'not exactly one DER certificate',
    },
    // Oversized or abusive input
    {
      name: 'a large body',
      input: () => ({ ca: true, certificatesPem: root.pem + ' '.repeat(64 * 1024) }),
      reason: 'larger than 64 KiB',
    },
    {
      name: 'eleven certificates',
      input: () => ({ ca: true, certificatesPem: root.pem.repeat(11) }),
      reason: 'more than 10 PEM blocks',
    },
    {
      name: 'deeply nested ASN.1',
      input: () => {
        let der = tlv(0x05);
        for (let i = 0; i < 300; i++) der = tlv(0x30, der);
        return { ca: true, certificatesPem: toPem(der, 'CERTIFICATE') };
      },
      reason: 'not a parseable X.509 certificate',
    },
    {
      name: 'a certificate over 16 KiB',
      input: () => ({
        ca: true,
        certificatesPem: forge({
          subject: 'CN=Big',
          key: ec,
          ca: true,
          extra: [ext('1.2.3.4', tlv(0x04, randomBytes(17_000)))],
        }).pem,
      }),
      reason: 'larger than 16 KiB',
    },
    {
      name: 'a huge SAN list',
      input: () => {
        const names = Array.from({ length: 150 }, (_, i) => tlv(0x82, Buffer.from(`host${i}.example`)));
        const san = ext('2.5.29.17', tlv(0x30, ...names));
        return { ca: false, certificatesPem: forge({ subject: 'CN=many', key: ec2, issuer: root, extra: [san] }).pem };
      },
      reason: 'more than 100 subject alternative names',
    },
    {
      name: 'a huge subject',
      input: () => ({
        ca: true,
        certificatesPem: forge({
          subject: ['CN=Huge', ...Array.from({ length: 40 }, (_, i) => `OU=unit ${i}`)].join(','),
          key: ec,
          ca: true,
        }).pem,
      }),
      reason: 'more than 32 attributes',
    },
    {
      name: 'a policy list built for CVE-2023-0464',
      input: () => {
        const policies = Array.from({ length: 40 }, (_, i) =>
          tlv(0x30, tlv(0x06, Buffer.from([0x2a, 0x03, 0x04, i + 1]))),
        );
        const extension = ext('2.5.29.32', tlv(0x30, ...policies));
        return {
          ca: true,
          certificatesPem: forge({ subject: 'CN=Policies', key: ec, ca: true, extra: [extension] }).pem,
        };
      },
      reason: 'more than 32 certificate policies',
    },
    {
      name: 'an RSA-16384 key',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Huge key', key: ec, ca: true, spki: fakeRsaSpki(16384) }).pem,
      }),
      reason: 'RSA key of 16384 bits',
    },
    {
      name: 'an EC key with explicit parameters',
      input: () => {
        opensslOk(
          'ecparam',
          '-name',
          'prime256v1',
          '-param_enc',
          'explicit',
          '-genkey',
          '-noout',
          '-out',
          'explicit.key',
        );
        opensslOk('pkey', '-in', 'explicit.key', '-pubout', '-outform', 'DER', '-out', 'explicit.spki');
        const spki = work.readBytes('explicit.spki');
        return { ca: true, certificatesPem: forge({ subject: 'CN=Explicit', key: ec, ca: true, spki }).pem };
      },
      reason: 'weak-ec-curve: certificate 1: an explicit-curve EC key',
      code: 'GW_ERR_CA_WEAK_KEY',
    },
    // Wrong kind of certificate uploaded as a CA
    {
      name: 'an issued leaf (CA:FALSE)',
      input: () => ({ ca: true, certificatesPem: leaf.pem }),
      reason: 'an end-entity (leaf) certificate, basicConstraints CA:FALSE',
    },
    {
      name: 'a self-signed end entity',
      input: () => ({ ca: true, certificatesPem: forge({ subject: 'CN=Pinned', key: ec, ca: false }).pem }),
      reason: 'a self-signed end-entity certificate',
    },
    {
      name: 'no basicConstraints',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=No BC', key: ec, ca: null, keyUsage: KU_KEY_CERT_SIGN }).pem,
      }),
      reason: 'has no basicConstraints extension',
    },
    {
      name: 'a CA without keyCertSign',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=No KCS', key: ec, ca: true, keyUsage: KU_CRL_SIGN }).pem,
      }),
      reason: 'without keyCertSign',
    },
    {
      name: 'a CA without keyUsage',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=No KU', key: ec, ca: true, keyUsage: null }).pem,
      }),
      reason: 'a CA without a keyUsage extension',
    },
    {
      name: 'a v1 certificate (openssl x509 -req)',
      input: () => {
        opensslOk(
          'req',
          '-new',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          'v1.key',
          '-subj',
          '/CN=v1',
          '-out',
          'v1.csr',
        );
        opensslOk('x509', '-req', '-in', 'v1.csr', '-signkey', 'v1.key', '-days', '1', '-out', 'v1.pem');
        return { ca: true, certificatesPem: work.read('v1.pem') };
      },
      reason: 'version 1 certificate',
    },
    {
      name: 'a CA with an empty subject',
      input: () => ({
        ca: true,
        certificatesPem: root.pem + forge({ subject: '', key: ec2, ca: true, issuer: root }).pem,
      }),
      reason: 'certificate 2 (empty subject): a CA with an empty subject',
    },
    {
      name: 'an empty issuer',
      input: () => ({ ca: true, certificatesPem: forge({ subject: '', key: ec, ca: true }).pem }),
      reason: 'the issuer name is empty',
    },
    // Validity and algorithms
    {
      name: 'an expired CA',
      input: () => ({
        ca: true,
        certificatesPem: forge({
          subject: 'CN=Old',
          key: ec,
          ca: true,
          notBefore: new Date(Date.now() - 9 * DAY_MS),
          notAfter: new Date(Date.now() - DAY_MS),
        }).pem,
      }),
      reason: 'expired on',
    },
    {
      name: 'a not-yet-valid CA',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Future', key: ec, ca: true, notBefore: new Date(Date.now() + DAY_MS) })
          .pem,
      }),
      reason: 'not valid before',
    },
    {
      name: 'MD5',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=MD5', key: rsa, ca: true, signature: SIG.rsaMd5 }).pem,
      }),
      reason: 'signed with MD5WithRSA: MD5 and SHA-1 signatures are not accepted',
    },
    {
      name: 'SHA-1 with RSA',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=SHA1', key: rsa, ca: true, signature: SIG.rsaSha1 }).pem,
      }),
      reason: 'signed with SHA1WithRSA',
    },
    {
      name: 'SHA-1 with ECDSA',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=SHA1', key: ec, ca: true, signature: SIG.ecdsaSha1 }).pem,
      }),
      reason: 'signed with ECDSAWithSHA1',
    },
    {
      name: 'Ed25519',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Ed', key: keyPair('ed25519'), ca: true, signature: SIG.ed25519 }).pem,
      }),
      reason: 'signed with Ed25519 (accepted: SHA256WithRSA',
    },
    {
      name: 'RSA-1024',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Weak', key: keyPair('rsa', 1024), ca: true }).pem,
      }),
      reason: 'weak-rsa-key: certificate 1: an RSA key of 1024 bits',
      code: 'GW_ERR_CA_WEAK_KEY',
    },
    {
      name: 'an RSA size not a multiple of 8',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Odd', key: ec, ca: true, spki: fakeRsaSpki(2050) }).pem,
      }),
      reason: 'rsa-modulus-not-multiple-of-8: certificate 1: an RSA modulus of 2050 bits',
      code: 'GW_ERR_CA_WEAK_KEY',
    },
    {
      name: 'DSA',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=DSA', key: ec, ca: true, spki: fakeSpki('300906072a8648ce380401') }).pem,
      }),
      reason: 'dsa-key: certificate 1: a DSA key',
      code: 'GW_ERR_CA_WEAK_KEY',
    },
    {
      name: 'P-192',
      input: () => ({
        ca: true,
        certificatesPem: forge({
          subject: 'CN=P192',
          key: ec,
          ca: true,
          spki: fakeSpki('301306072a8648ce3d020106082a8648ce3d030101'),
        }).pem,
      }),
      reason: 'weak-ec-curve: certificate 1: an EC curve P-192',
      code: 'GW_ERR_CA_WEAK_KEY',
    },
    {
      name: 'a negative serial',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Neg', key: ec, ca: true, serial: Buffer.from('ff01', 'hex') }).pem,
      }),
      reason: 'serial-negative: certificate 1: a negative serial number',
      code: 'GW_ERR_CA_SERIAL_INVALID',
    },
    {
      name: 'serial zero',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Zero', key: ec, ca: true, serial: Buffer.from([0]) }).pem,
      }),
      reason: 'serial-zero: certificate 1: serial number 0',
      code: 'GW_ERR_CA_SERIAL_INVALID',
    },
    {
      name: 'a 21-octet serial',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Long', key: ec, ca: true, serial: Buffer.alloc(21, 0x11) }).pem,
      }),
      reason: 'serial-too-long: certificate 1: a serial number of 21 octets',
      code: 'GW_ERR_CA_SERIAL_INVALID',
    },
    {
      name: 'mismatched signatureAlgorithm fields',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Mismatch', key: ec, ca: true, innerSignature: '1.2.840.10045.4.3.3' })
          .pem,
      }),
      reason: 'signatureAlgorithm fields inside and outside the signed part differ',
    },
    // Extensions
    {
      name: 'an unknown critical extension',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Crit', key: ec, ca: true, extra: [ext('1.2.3.4', tlv(0x05), true)] }).pem,
      }),
      reason: 'unknown-critical-extension: certificate 1: critical extension 1.2.3.4',
      code: 'GW_ERR_CA_UNKNOWN_CRITICAL_EXTENSION',
    },
    {
      name: 'a duplicate extension',
      input: () => ({
        ca: true,
        certificatesPem: forge({
          subject: 'CN=Dup',
          key: ec,
          ca: true,
          extra: [ext('2.5.29.19', new BasicConstraints({ cA: true }), true)],
        }).pem,
      }),
      reason: 'duplicate-extension: certificate 1: extension 2.5.29.19 appears twice',
      code: 'GW_ERR_CA_DUPLICATE_EXTENSION',
    },
    {
      name: 'non-critical basicConstraints on a root',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=Soft', key: ec, ca: true, basicCritical: false }).pem,
      }),
      reason: 'root-basic-constraints-not-critical: certificate 1:',
      code: 'GW_ERR_CA_BASIC_CONSTRAINTS_NOT_CRITICAL',
    },
    {
      name: 'malformed name constraints',
      input: () => ({
        ca: true,
        certificatesPem: forge({
          subject: 'CN=NC',
          key: ec,
          ca: true,
          extra: [ext('2.5.29.30', Buffer.from('3003020101', 'hex'), true)],
        }).pem,
      }),
      reason: 'name-constraints-malformed: certificate 1: nameConstraints does not parse',
      code: 'GW_ERR_CA_NAME_CONSTRAINTS_INVALID',
    },
    {
      name: 'name constraints with both subtrees absent',
      input: () => ({
        ca: true,
        certificatesPem: forge({ subject: 'CN=NC', key: ec, ca: true, extra: [ext('2.5.29.30', tlv(0x30), true)] }).pem,
      }),
      reason: 'name-constraints-empty: certificate 1:',
      code: 'GW_ERR_CA_NAME_CONSTRAINTS_INVALID',
    },
    {
      name: 'name constraints with both subtrees empty',
      input: () => ({
        ca: true,
        certificatesPem: forge({
          subject: 'CN=NC',
          key: ec,
          ca: true,
          extra: [ext('2.5.29.30', tlv(0x30, tlv(0xa0), tlv(0xa1)), true)],
        }).pem,
      }),
      reason: 'name-constraints-empty: certificate 1:',
      code: 'GW_ERR_CA_NAME_CONSTRAINTS_INVALID',
    },
    {
      name: 'name constraints on a leaf',
      input: () => {
        const nc = ext('2.5.29.30', tlv(0x30, tlv(0xa0, tlv(0x30, tlv(0x82, Buffer.from('example.com'))))), true);
        return {
          ca: false,
          certificatesPem: forge({ subject: 'CN=leaf NC', key: ec2, issuer: root, extra: [nc] }).pem,
        };
      },
      reason: 'name constraints on a certificate that is not a CA',
    },
    // Bundles
    {
      name: 'a duplicate certificate',
      input: () => ({ ca: true, certificatesPem: root.pem + root.pem }),
      reason: 'certificate 2 (CN=Upload Root,O=Portcullis Tests): a duplicate of certificate 1',
    },
    {
      name: 'an intermediate without its root',
      input: () => ({ ca: true, certificatesPem: intermediate.pem }),
      reason: 'no self-signed root CA in the bundle: Node (OpenSSL) anchors trust only at a self-signed root',
    },
    {
      name: 'an unrelated certificate mixed in',
      input: () => {
        const otherRoot = forge({ subject: 'CN=Other Root', key: keyPair('ec'), ca: true });
        const otherIntermediate = forge({
          subject: 'CN=Other Intermediate',
          key: keyPair('ec'),
          ca: true,
          issuer: otherRoot,
        });
        return { ca: true, certificatesPem: root.pem + otherIntermediate.pem };
      },
      reason: 'certificate 2 (CN=Other Intermediate): not issued by any other certificate of the bundle',
    },
    {
      name: 'a cross-signing loop',
      input: () => {
        const a = keyPair('ec');
        const b = keyPair('ec');
        const aByB = forge({ subject: 'CN=A', key: a, ca: true, issuer: { subject: 'CN=B', key: b } });
        const bByA = forge({ subject: 'CN=B', key: b, ca: true, issuer: { subject: 'CN=A', key: a } });
        return { ca: true, certificatesPem: root.pem + aByB.pem + bByA.pem };
      },
      reason: 'certificate 2 (CN=A): does not chain to a self-signed root of the bundle',
    },
    {
      name: 'a self-issued certificate with a bad self-signature',
      input: () => {
        const forged = forge({
          subject: 'CN=Fake Root',
          key: ec2,
          ca: true,
          issuer: { subject: 'CN=Fake Root', key: ec },
        });
        return { ca: true, certificatesPem: root.pem + forged.pem };
      },
      reason: 'self-issued, but its signature does not verify with its own key',
    },
    // Leaf uploads
    {
      name: 'a CA first in a leaf upload',
      input: () => ({ ca: false, certificatesPem: root.pem }),
      reason: 'a CA certificate; a leaf upload (ca: false) starts with the leaf',
    },
    {
      name: 'a server-only leaf',
      input: () => ({
        ca: false,
        leafUsage: 'clientAuth',
        certificatesPem: forge({ subject: 'CN=server', key: ec2, issuer: root, eku: [SERVER_AUTH] }).pem,
      }),
      reason: 'extendedKeyUsage does not include clientAuth',
    },
    {
      name: 'a client-only leaf as a server certificate',
      input: () => ({ ca: false, leafUsage: 'serverAuth', certificatesPem: leaf.pem }),
      reason: 'extendedKeyUsage does not include serverAuth',
    },
    {
      name: 'a leaf that cannot sign a handshake',
      input: () => ({
        ca: false,
        certificatesPem: forge({ subject: 'CN=kx', key: rsa, issuer: root, keyUsage: 4 }).pem,
      }),
      reason: 'keyUsage without digitalSignature',
    },
    {
      name: 'a chain out of order',
      input: () => ({ ca: false, certificatesPem: leaf.pem + root.pem + intermediate.pem }),
      reason: 'certificate 2 (CN=Upload Root,O=Portcullis Tests): did not issue certificate 1',
    },
    {
      name: 'an encrypted private key',
      input: () => ({
        ca: false,
        certificatesPem: leaf.pem,
        privateKeyPem: String(
          leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }),
        ),
      }),
      reason: 'private_key is encrypted',
    },
    {
      name: 'a private key that is not a key',
      input: () => ({ ca: false, certificatesPem: leaf.pem, privateKeyPem: toPem(randomBytes(64), 'PRIVATE KEY') }),
      reason: 'private_key is not a readable private key',
    },
    {
      name: 'a certificate as the private key',
      input: () => ({ ca: false, certificatesPem: leaf.pem, privateKeyPem: leaf.pem }),
      reason: 'private_key must be a PRIVATE KEY',
    },
  ];

  for (const { name, input, reason, code } of bad) {
    test(`refuses ${name}`, () => {
      assertRefused(input(), reason, name, code);
    });
  }

  test('a refused certificate is one openssl parses: the refusal is ours, not a parse error', () => {
    const md5 = forge({ subject: 'CN=MD5', key: rsa, ca: true, signature: SIG.rsaMd5 });
    work.write('md5.pem', md5.pem);
    assert.match(opensslOk('x509', '-in', 'md5.pem', '-noout', '-text'), /Signature Algorithm: md5WithRSAEncryption/);
    const soft = forge({ subject: 'CN=Soft', key: ec, ca: true, basicCritical: false });
    work.write('soft.pem', soft.pem);
    assert.match(opensslOk('x509', '-in', 'soft.pem', '-noout', '-text'), /Basic Constraints: \n\s+CA:TRUE/);
    assert.equal(createPublicKey(leaf.key.privateKey).asymmetricKeyType, 'ec');
  });
});

describe('validateMtlsUpload: client-chain rules that apply to CAs, and the compatibility switch', () => {
  const refusedWith = (input: MtlsUploadInput): GatewayError => {
    try {
      validateMtlsUpload(input);
    } catch (error) {
      assert.ok(error instanceof GatewayError);
      return error;
    }
    assert.fail('expected a refusal');
  };

  test('a root without subjectKeyIdentifier: refused strict with the rule and a hint, accepted legacy', () => {
    const root = forgeRoot('CN=No SKI Root', { subjectKeyIdentifier: false });
    const error = refusedWith({ ca: true, certificatesPem: root.pem });
    assert.equal(error.code, 'GW_ERR_CA_KEY_IDENTIFIER_MISSING');
    assert.equal(error.v4Code, 12147);
    assert.match(error.message, /missing-subject-key-identifier: certificate 1: .*compatibility "legacy"/);
    assert.equal(
      validateMtlsUpload({ ca: true, certificatesPem: root.pem, compatibility: 'legacy' }).certificates.length,
      1,
    );
  });

  test('an intermediate without authorityKeyIdentifier, a root with non-critical basicConstraints: legacy only', () => {
    const root = forgeRoot('CN=Legacy Root', { basicConstraintsCritical: false });
    const ica = forgeIntermediate(root, 'CN=Legacy ICA', { authorityKeyIdentifier: false });
    assert.equal(refusedWith({ ca: true, certificatesPem: root.pem }).code, 'GW_ERR_CA_BASIC_CONSTRAINTS_NOT_CRITICAL');
    const strictRoot = forgeRoot('CN=Strict Root');
    const strictIca = forgeIntermediate(strictRoot, 'CN=No AKI ICA', { authorityKeyIdentifier: false });
    assert.equal(
      refusedWith({ ca: true, certificatesPem: strictRoot.pem + strictIca.pem }).code,
      'GW_ERR_CA_KEY_IDENTIFIER_MISSING',
    );
    const accepted = validateMtlsUpload({ ca: true, certificatesPem: root.pem + ica.pem, compatibility: 'legacy' });
    assert.equal(accepted.certificates.length, 2);
  });

  test('legacy relaxes nothing else: a weak key, a malformed SAN, unusable name constraints', () => {
    const weak = forgeRoot('CN=Weak Root', { key: newKey('p192') });
    assert.equal(
      refusedWith({ ca: true, certificatesPem: weak.pem, compatibility: 'legacy' }).code,
      'GW_ERR_CA_WEAK_KEY',
    );
    const badSan = forgeRoot('CN=Bad SAN Root', {
      extensions: [extension(OID.subjectAltName, Buffer.from('ca.example'))],
    });
    assert.equal(
      refusedWith({ ca: true, certificatesPem: badSan.pem, compatibility: 'legacy' }).code,
      'GW_ERR_CA_MALFORMED_EXTENSION',
    );
    const wildcard = forgeRoot('CN=Wildcard NC Root', { nameConstraints: { permitted: [{ dns: '*.example.com' }] } });
    const error = refusedWith({ ca: true, certificatesPem: wildcard.pem, compatibility: 'legacy' });
    assert.equal(error.code, 'GW_ERR_CA_NAME_CONSTRAINTS_INVALID');
    assert.match(error.message, /name-constraints-malformed/);
  });

  test('leaf uploads keep their own checks and code, and take no compatibility', () => {
    const root = forgeRoot('CN=Leaf Upload Root');
    const weakLeaf = forgeLeaf(root, 'CN=weak', { key: newKey({ rsa: 1024 }) });
    assert.equal(refusedWith({ ca: false, certificatesPem: weakLeaf.pem }).code, 'GW_ERR_CERT_UPLOAD_INVALID');
  });
});
