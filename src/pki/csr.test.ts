/**
 * readCsr against CSRs made by the openssl command line (every key type it can make, SHA-1 and RSA-PSS
 * signatures) and against CSRs assembled here byte by byte for what openssl will not make (an RSA-8192 key
 * without waiting for its generation, a three-letter country, control characters, a wrong version). Accepted
 * CSRs are compared with what `openssl req` reads from them; refused ones must carry GW_ERR_CSR_INVALID and the
 * reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { needsOpenssl, OpensslWorkdir } from '../../test/helpers/openssl.ts';
import { GatewayError } from '../errors/index.ts';
import { readCsr, MAX_CSR_PEM_LENGTH } from './csr.ts';
import { toPem } from './pem.ts';

let work: OpensslWorkdir;
/** Runs openssl in the test directory; throws with stderr when it fails. */
const openssl = (...args: string[]): string => work.run(args);
/** Runs openssl; stdout and stderr together (openssl reports verification on stderr). */
const opensslOutput = (...args: string[]): string => work.check(args)[1];
/** `openssl req -new` with a fresh key made by `newkey` (an -newkey argument), subject `subject`. */
const opensslCsr = (name: string, newkey: string[], subject: string, ...extra: string[]): string =>
  work.newCsr(name, newkey, subject, ...extra);

function assertRefused(pem: string, reason: string | RegExp): void {
  assert.throws(
    () => readCsr(pem),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError, String(error));
      assert.equal(error.code, 'GW_ERR_CSR_INVALID');
      if (typeof reason === 'string') assert.ok(error.message.includes(reason), error.message);
      else assert.match(error.message, reason);
      return true;
    },
  );
}

// --- DER assembly, for CSRs openssl refuses to make ------------------------------------------------------------

function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), body]);
}
const seq = (...parts: Uint8Array[]): Buffer => tlv(0x30, ...parts);
const set = (...parts: Uint8Array[]): Buffer => tlv(0x31, ...parts);
const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const OID_CN = hex('0603550403');
const OID_C = hex('0603550406');
const OID_EMAIL = hex('06092a864886f70d010901');
const ECDSA_SHA256 = seq(hex('06082a8648ce3d040302'));
const RSA_SHA256 = seq(hex('06092a864886f70d01010b'), hex('0500'));

/** One attribute per RDN; `tag` 0x0c UTF8String, 0x13 PrintableString, 0x14 TeletexString. */
function name(...attributes: [Buffer, number, string][]): Buffer {
  return seq(...attributes.map(([oid, tag, value]) => set(seq(oid, tlv(tag, Buffer.from(value, 'utf8'))))));
}

interface Signer {
  privateKey: KeyObject;
  spki: Buffer;
}

function ecSigner(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

function assembleCsr(
  subject: Buffer,
  signer: Signer,
  options: { version?: number; spki?: Buffer; algorithm?: Buffer; hash?: string } = {},
): string {
  const info = seq(tlv(0x02, Buffer.from([options.version ?? 0])), subject, options.spki ?? signer.spki, tlv(0xa0));
  const signature = sign(options.hash ?? 'sha256', info, signer.privateKey);
  const der = seq(info, options.algorithm ?? ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  return toPem(der, 'CERTIFICATE REQUEST');
}

/** SPKI of an RSA key with a `bits`-bit modulus (not a real key: enough to be refused for its size). */
function fakeRsaSpki(bits: number): Buffer {
  const modulus = Buffer.alloc(Math.ceil(bits / 8), 0xff);
  modulus[0] = 0xff >> (modulus.length * 8 - bits);
  const rsaPublicKey = seq(tlv(0x02, Buffer.from([0]), modulus), tlv(0x02, hex('010001')));
  return seq(seq(hex('06092a864886f70d010101'), hex('0500')), tlv(0x03, Buffer.from([0]), rsaPublicKey));
}

describe('readCsr', needsOpenssl, () => {
  before(() => {
    work = new OpensslWorkdir();
  });
  after(() => work.remove());

  test('an ECDSA P-256 CSR: subject fields, key, normalised PEM, as openssl reads them', () => {
    const pem = opensslCsr(
      'p256',
      ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      '/C=GB/ST=London/L=London/O=Acme/OU=IoT/CN=device-42/emailAddress=ops@example.com',
      '-addext',
      'subjectAltName=DNS:device-42.example',
    );
    const csr = readCsr(pem.replaceAll('\n', '\r\n'));
    assert.deepEqual(csr.subject, {
      commonName: 'device-42',
      country: 'GB',
      state: 'London',
      locality: 'London',
      organization: 'Acme',
      organizationalUnit: 'IoT',
    });
    assert.deepEqual(csr.keyAlgorithm, { kind: 'ecdsa', curve: 'P-256' });
    assert.equal(toPem(csr.publicKey, 'PUBLIC KEY'), openssl('req', '-in', 'p256.csr', '-noout', '-pubkey'));
    assert.equal(csr.pem, openssl('req', '-in', 'p256.csr', '-outform', 'PEM'));
    openssl('req', '-in', 'p256.csr', '-outform', 'DER', '-out', 'p256.der');
    assert.deepEqual(Buffer.from(csr.der), work.readBytes('p256.der'));
  });

  test('ECDSA P-384 and RSA 2048, 3072, 4096 are accepted; absent fields are empty strings', () => {
    const p384 = readCsr(opensslCsr('p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], '/CN=p384'));
    assert.deepEqual(p384.keyAlgorithm, { kind: 'ecdsa', curve: 'P-384' });
    assert.deepEqual(p384.subject, {
      commonName: 'p384',
      country: '',
      state: '',
      locality: '',
      organization: '',
      organizationalUnit: '',
    });
    for (const bits of [2048, 3072, 4096]) {
      const csr = readCsr(opensslCsr(`rsa${bits}`, ['-newkey', `rsa:${bits}`], `/O=Acme/CN=rsa-${bits}`));
      assert.deepEqual(csr.keyAlgorithm, { kind: 'rsa', modulusBits: bits });
      assert.equal(csr.subject.organization, 'Acme');
    }
  });

  test('the NEW CERTIFICATE REQUEST label (old Netscape and Microsoft tools) is accepted', () => {
    const pem = opensslCsr('new', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=legacy');
    const legacy = pem.replaceAll('CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST');
    assert.equal(readCsr(legacy).pem, pem);
  });

  test('keys other than ECDSA P-256/P-384 and RSA 2048–4096 are refused, each with its reason', () => {
    openssl('ecparam', '-name', 'prime256v1', '-param_enc', 'explicit', '-genkey', '-noout', '-out', 'explicit.key');
    openssl('req', '-new', '-key', 'explicit.key', '-subj', '/CN=explicit', '-out', 'explicit.csr');
    openssl('genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-out', 'dsa.param');
    openssl('genpkey', '-paramfile', 'dsa.param', '-out', 'dsa.key');
    openssl('req', '-new', '-key', 'dsa.key', '-subj', '/CN=dsa', '-out', 'dsa.csr');
    const cases: [string, string][] = [
      [opensslCsr('rsa1024', ['-newkey', 'rsa:1024'], '/CN=rsa1024'), 'RSA key of 1024 bits'],
      [opensslCsr('p521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'], '/CN=p521'), 'ECDSA P-521 keys'],
      [opensslCsr('ed25519', ['-newkey', 'ed25519'], '/CN=ed'), 'Ed25519 keys are not accepted'],
      [work.read('dsa.csr'), 'DSA keys are not accepted'],
      [work.read('explicit.csr'), 'explicit-curve EC keys are not accepted'],
      [assembleCsr(name([OID_CN, 0x0c, 'big']), ecSigner(), { spki: fakeRsaSpki(8192) }), 'RSA key of 8192 bits'],
      [assembleCsr(name([OID_CN, 0x0c, 'odd']), ecSigner(), { spki: fakeRsaSpki(2050) }), 'a multiple of 8'],
    ];
    for (const [pem, reason] of cases) assertRefused(pem, reason);
  });

  test('Ed25519 is read only when the caller opts in (EST profiles), with its signature checked', () => {
    const pem = opensslCsr('ed-opt-in', ['-newkey', 'ed25519'], '/CN=ed-device');
    assertRefused(pem, 'Ed25519 keys are not accepted (accepted: ECDSA P-256, P-384, RSA 2048–4096)');
    const csr = readCsr(pem, { ed25519: true });
    assert.deepEqual(csr.keyAlgorithm, { kind: 'ed25519' });
    assert.equal(csr.subject.commonName, 'ed-device');
    const altered = Buffer.from(csr.der);
    altered[altered.indexOf(Buffer.from('ed-device')) + 8] = 0x66; // CN=ed-devicf, signature unchanged
    assert.throws(
      () => readCsr(toPem(altered, 'CERTIFICATE REQUEST'), { ed25519: true }),
      /the signature does not verify/,
    );
  });

  test('a signature that does not verify is refused (openssl agrees)', () => {
    const pem = opensslCsr('tamper', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=device-1');
    const der = Buffer.from(readCsr(pem).der);
    const altered = Buffer.from(der);
    altered[der.indexOf(Buffer.from('device-1')) + 7] = 0x32; // CN=device-2, signature unchanged
    work.write('altered.csr', toPem(altered, 'CERTIFICATE REQUEST'));
    assert.match(opensslOutput('req', '-in', 'altered.csr', '-noout', '-verify'), /verify failure/);
    assertRefused(toPem(altered, 'CERTIFICATE REQUEST'), 'the signature does not verify');
    const badSignature = Buffer.from(der);
    badSignature[der.length - 3] = (badSignature[der.length - 3] ?? 0) ^ 0x01;
    assertRefused(toPem(badSignature, 'CERTIFICATE REQUEST'), 'the signature does not verify');
  });

  test('SHA-1 and RSA-PSS signatures, and a signature algorithm of the wrong key type, are refused', () => {
    const p256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    assertRefused(opensslCsr('sha1', p256, '/CN=sha1', '-sha1'), 'signed with ECDSAWithSHA1');
    assertRefused(
      opensslCsr('pss', ['-newkey', 'rsa:2048'], '/CN=pss', '-sigopt', 'rsa_padding_mode:pss'),
      'signed with RSASSA-PSS',
    );
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsa = { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
    assert.deepEqual(readCsr(assembleCsr(name([OID_CN, 0x0c, 'rsa']), rsa, { algorithm: RSA_SHA256 })).keyAlgorithm, {
      kind: 'rsa',
      modulusBits: 2048,
    });
    assertRefused(assembleCsr(name([OID_CN, 0x0c, 'rsa']), rsa), 'does not match the key type');
  });

  test('the subject: six fields at most one each, printable, within RFC 5280 bounds, at least one', () => {
    const signer = ecSigner();
    const ok = readCsr(assembleCsr(name([OID_C, 0x13, 'US'], [OID_CN, 0x0c, 'café ☕']), signer));
    assert.equal(ok.subject.commonName, 'café ☕');
    assert.equal(ok.subject.country, 'US');
    const cases: [Buffer, string][] = [
      [name([OID_EMAIL, 0x16, 'a@example.com']), 'none of CN, C, ST, L, O, OU'],
      [seq(), 'none of CN, C, ST, L, O, OU'],
      [name([OID_CN, 0x0c, 'a'], [OID_CN, 0x0c, 'b']), 'more than one CN'],
      [name([OID_C, 0x13, 'USA']), 'two-letter'],
      [name([OID_CN, 0x0c, 'x'.repeat(65)]), 'longer than 64'],
      [name([OID_CN, 0x0c, 'evil\r\nX-Injected: 1']), 'control characters'],
      [name([OID_CN, 0x0c, '']), 'is empty'],
      [name([OID_CN, 0x14, 'teletex']), 'not a UTF8String'],
    ];
    for (const [subject, reason] of cases) assertRefused(assembleCsr(subject, signer), reason);
  });

  test('malformed input: PEM, DER, labels, version, size', () => {
    const good = opensslCsr('good', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=good');
    const der = Buffer.from(readCsr(good).der);
    const key = work.read('good.key');
    openssl('req', '-in', 'good.csr', '-key', 'good.key', '-x509', '-days', '1', '-out', 'good.pem');
    const cases: [string, string | RegExp][] = [
      ['', 'no CSR given'],
      [der.toString('latin1'), /no PEM block found|NUL/],
      [key, 'a private key was sent'],
      [good + key, 'a private key was sent'],
      [work.read('good.pem'), 'found CERTIFICATE'],
      [good + good, 'expected one PEM block, found 2'],
      [good.replace(/\n[A-Za-z0-9+/=]+\n-----END/, '\n-----END'), /base64|not exactly one DER/],
      [good.replace('-----END CERTIFICATE REQUEST-----', '-----END PRIVATE KEY-----'), 'ends with END PRIVATE KEY'],
      [toPem(Buffer.concat([der, hex('00')]), 'CERTIFICATE REQUEST'), 'not exactly one DER'],
      [toPem(seq(hex('0500')), 'CERTIFICATE REQUEST'), 'not a parseable'],
      [assembleCsr(name([OID_CN, 0x0c, 'v2']), ecSigner(), { version: 1 }), 'version 1'],
      [good + ' '.repeat(MAX_CSR_PEM_LENGTH), 'larger than 16 KiB'],
    ];
    for (const [pem, reason] of cases) assertRefused(pem, reason);
  });

  test('openssl reads the same public key that readCsr returns for an RSA CSR', () => {
    const csr = readCsr(work.read('rsa2048.csr'));
    const key = createPublicKey({ key: Buffer.from(csr.publicKey), format: 'der', type: 'spki' });
    assert.equal(
      key.export({ type: 'spki', format: 'pem' }),
      openssl('req', '-in', 'rsa2048.csr', '-noout', '-pubkey'),
    );
  });
});
