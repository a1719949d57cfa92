/**
 * The OCSP responder against the real client: `openssl ocsp -reqout` makes the requests (SHA-1 and SHA-256
 * CertIDs, with and without a nonce), buildOcspResponse answers them, and `openssl ocsp -respin` must verify the
 * response with the CA as trust anchor and report `good` / `revoked` (with the revocation time) per certificate,
 * `unknown` for another CA's certificate, and the nonce it sent. Malformed requests get `malformedRequest`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { OCSPRequest, Request, TBSRequest, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { Certificate, Extension } from '@peculiar/asn1-x509';
import { needsOpenssl, OpensslWorkdir } from '../../test/helpers/openssl.ts';
import { GatewayError } from '../errors/index.ts';
import { createManagedCa, createRootCa, issueCertificate, type IssuedCertificate } from './certificate-issuer.ts';
import { issueClientCertificate, type IssuedClientCertificate } from './client-certificate-issuer.ts';
import { readCsr } from './csr.ts';
import { buildOcspResponse, parseOcspRequest, type OcspCertificateStatus } from './ocsp-responder.ts';
import { readPemBlocksOf } from './pem.ts';

let work: OpensslWorkdir;
/** Runs openssl in the test directory: [exit status 0, stdout + stderr]. */
const openssl = (...args: string[]): [boolean, string] => work.check(args);

/** `openssl ocsp ... -reqout <file>`; returns the request DER. */
function request(file: string, ...args: string[]): Buffer {
  const [ok, output] = openssl('ocsp', ...args, '-reqout', file);
  assert.ok(ok, output);
  return work.readBytes(file);
}

describe('OCSP responder', needsOpenssl, () => {
  let ca: IssuedCertificate;
  let revoked: IssuedClientCertificate;
  let good: IssuedClientCertificate;
  const revokedAt = new Date('2026-01-02T03:04:05.600Z');
  const asked: string[] = [];
  const lookup = (serialHex: string): OcspCertificateStatus => {
    asked.push(serialHex);
    if (serialHex === revoked.serialHex) return { status: 'revoked', revokedAt };
    if (serialHex === good.serialHex) return { status: 'good' };
    return { status: 'unknown' };
  };

  before(async () => {
    work = new OpensslWorkdir();
    ca = await createManagedCa('CN=OCSP Test CA,O=Portcullis Tests');
    const [ok, output] = openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'leaf.key',
      '-subj',
      '/CN=device',
      '-out',
      'leaf.csr',
    );
    assert.ok(ok, output);
    const csr = readCsr(work.read('leaf.csr'));
    revoked = issueClientCertificate({ ca, csr, validityDays: 30 });
    good = issueClientCertificate({ ca, csr, validityDays: 30 });
    work.write('ca.pem', ca.certPem);
    work.write('revoked.pem', revoked.certPem);
    work.write('good.pem', good.certPem);
  });

  after(() => work.remove());

  test('openssl verifies the response and reads good and revoked (with the time) for SHA-1 CertIDs', async () => {
    const req = request('req.der', '-issuer', 'ca.pem', '-cert', 'revoked.pem', '-cert', 'good.pem', '-no_nonce');
    const nextUpdate = new Date(Date.now() + 3_600_000);
    work.write('resp.der', await buildOcspResponse({ ca, requestDer: req, lookup, nextUpdate }));
    const [ok, text] = openssl(
      'ocsp',
      '-respin',
      'resp.der',
      '-issuer',
      'ca.pem',
      '-CAfile',
      'ca.pem',
      '-cert',
      'revoked.pem',
      '-cert',
      'good.pem',
      '-no_nonce',
      '-resp_text',
    );
    assert.ok(ok, text);
    assert.match(text, /Response verify OK/);
    assert.match(
      text,
      /revoked\.pem: revoked\n\s+This Update: .*\n\s+Next Update: .*\n\s+Revocation Time: Jan {2}2 03:04:05 2026 GMT/,
    );
    assert.match(text, /good\.pem: good\n/);
    assert.match(text, /Hash Algorithm: sha1/);
    assert.deepEqual(asked.slice(-2), [revoked.serialHex, good.serialHex]);
  });

  test('SHA-256 CertIDs, the CA named as the only responder (-VAfile), no nextUpdate', async () => {
    const req = request('req256.der', '-issuer', 'ca.pem', '-sha256', '-cert', 'good.pem', '-no_nonce');
    work.write('resp256.der', await buildOcspResponse({ ca, requestDer: req, lookup }));
    const [ok, text] = openssl(
      'ocsp',
      '-respin',
      'resp256.der',
      '-issuer',
      'ca.pem',
      '-VAfile',
      'ca.pem',
      '-sha256',
      '-cert',
      'good.pem',
      '-no_nonce',
      '-resp_text',
    );
    assert.ok(ok, text);
    assert.match(text, /Hash Algorithm: sha256/);
    assert.match(text, /good\.pem: good\n\s+This Update: [^\n]+\n(?!\s+Next Update)/);
  });

  test('the responder is identified by its key hash, and signs with the CA key', async () => {
    const req = request('reqid.der', '-issuer', 'ca.pem', '-cert', 'good.pem', '-no_nonce');
    work.write('respid.der', await buildOcspResponse({ ca, requestDer: req, lookup }));
    const [, text] = openssl('ocsp', '-respin', 'respid.der', '-resp_text', '-noverify');
    const [, ski] = openssl('x509', '-in', 'ca.pem', '-noout', '-ext', 'subjectKeyIdentifier');
    const caKeyId = ski.split('\n')[1]?.trim().replaceAll(':', '');
    assert.match(text, new RegExp(`Responder Id: ${caKeyId ?? 'missing'}\\n`));
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    const [wrongOk, wrongText] = openssl('ocsp', '-respin', 'respid.der', '-CAfile', 'good.pem', '-no_nonce');
    assert.equal(wrongOk, false, 'another trust anchor must not verify it');
    assert.match(wrongText, /Response Verify Failure/);
  });

  test('the nonce is echoed: openssl matches it to its request, and not to another one', async () => {
    const req = request('reqn.der', '-issuer', 'ca.pem', '-cert', 'good.pem');
    const parsed = parseOcspRequest(req);
    assert.equal(parsed.nonce?.byteLength, 16);
    const [, reqText] = openssl('ocsp', '-reqin', 'reqn.der', '-req_text');
    assert.ok(
      reqText.includes(
        `0410${Buffer.from(parsed.nonce ?? [])
          .toString('hex')
          .toUpperCase()}`,
      ),
      reqText,
    );
    work.write('respn.der', await buildOcspResponse({ ca, requestDer: req, lookup }));
    const [ok, text] = openssl(
      'ocsp',
      '-reqin',
      'reqn.der',
      '-respin',
      'respn.der',
      '-issuer',
      'ca.pem',
      '-CAfile',
      'ca.pem',
    );
    assert.ok(ok, text);
    assert.match(text, /Response verify OK/);
    assert.doesNotMatch(text, /Nonce Verify error|WARNING: no nonce/);
    request('other.der', '-issuer', 'ca.pem', '-cert', 'good.pem');
    const [otherOk, otherText] = openssl(
      'ocsp',
      '-reqin',
      'other.der',
      '-respin',
      'respn.der',
      '-issuer',
      'ca.pem',
      '-CAfile',
      'ca.pem',
    );
    assert.equal(otherOk, false);
    assert.match(otherText, /Nonce Verify error/);
  });

  test("another CA's certificate, or a serial the lookup does not know, is unknown", async () => {
    const other = await createRootCa({ name: 'CN=Other CA', validityDays: 1 });
    const stranger = await issueCertificate({ ca: other, subject: 'CN=stranger', usage: 'client', validityDays: 1 });
    work.write('other-ca.pem', other.certPem);
    work.write('stranger.pem', stranger.certPem);
    const before = asked.length;
    const req = request('reqx.der', '-issuer', 'other-ca.pem', '-cert', 'stranger.pem', '-no_nonce');
    work.write('respx.der', await buildOcspResponse({ ca, requestDer: req, lookup }));
    const [, text] = openssl('ocsp', '-respin', 'respx.der', '-resp_text', '-noverify');
    assert.match(text, /Cert Status: unknown/);
    assert.equal(asked.length, before, 'the lookup is not asked about another issuer');

    const req2 = request('reqy.der', '-issuer', 'ca.pem', '-serial', '0x1234', '-no_nonce');
    work.write('respy.der', await buildOcspResponse({ ca, requestDer: req2, lookup }));
    const [ok, text2] = openssl(
      'ocsp',
      '-respin',
      'respy.der',
      '-issuer',
      'ca.pem',
      '-CAfile',
      'ca.pem',
      '-serial',
      '0x1234',
      '-no_nonce',
    );
    assert.ok(ok, text2);
    assert.match(text2, /0x1234: unknown/);
    assert.equal(asked.at(-1), '1234');
  });

  test('parseOcspRequest returns the CertIDs openssl sent', () => {
    const req = request('reqp.der', '-issuer', 'ca.pem', '-cert', 'revoked.pem', '-no_nonce');
    const parsed = parseOcspRequest(req);
    assert.equal(parsed.nonce, undefined);
    assert.equal(parsed.certIds.length, 1);
    const certId = parsed.certIds[0]!;
    const caCert = AsnConvert.parse(readPemBlocksOf(ca.certPem, 'CERTIFICATE')[0]!, Certificate);
    const subjectDer = new Uint8Array(AsnConvert.serialize(caCert.tbsCertificate.subject));
    assert.equal(certId.hashAlgorithm, 'sha1');
    assert.deepEqual(Buffer.from(certId.issuerNameHash), createHash('sha1').update(subjectDer).digest());
    assert.equal(certId.serialHex, revoked.serialHex);
    const [, text] = openssl('ocsp', '-reqin', 'reqp.der', '-req_text');
    assert.ok(text.includes(`Issuer Key Hash: ${Buffer.from(certId.issuerKeyHash).toString('hex').toUpperCase()}`));
  });

  test('malformed requests get malformedRequest, and parseOcspRequest says why', async () => {
    const req = request('reqm.der', '-issuer', 'ca.pem', '-cert', 'good.pem');
    const tooMany = request(
      'req21.der',
      '-issuer',
      'ca.pem',
      ...Array.from({ length: 21 }, (_, i) => ['-serial', String(i + 1)]).flat(),
    );
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(0), 'empty OCSP request'],
      [Buffer.from('not an ocsp request'), 'not exactly one DER'],
      [req.subarray(0, req.length - 5), 'not exactly one DER'],
      [Buffer.concat([req, Buffer.from([0])]), 'not exactly one DER'],
      [Buffer.from('3003020100', 'hex'), 'not a parseable OCSPRequest'],
      [new Uint8Array(9000), 'larger than 8192 bytes'],
      [tooMany, 'more than 20 certificates'],
      [withNonce(req, 33), 'nonce of 33 octets'],
      [withNonce(req, 0), 'nonce of 0 octets'],
      [withExtension(req, '1.2.3.4', true), 'unknown critical extension 1.2.3.4'],
    ];
    for (const [der, reason] of cases) {
      assert.throws(
        () => parseOcspRequest(der),
        (error: unknown) =>
          error instanceof GatewayError && error.code === 'GW_ERR_REQUEST_INVALID' && error.message.includes(reason),
        reason,
      );
      work.write('bad.der', await buildOcspResponse({ ca, requestDer: der, lookup }));
      const [, text] = openssl('ocsp', '-respin', 'bad.der', '-resp_text', '-noverify');
      assert.match(text, /Responder Error: malformedrequest \(1\)/, reason);
    }
    assert.equal(parseOcspRequest(withNonce(req, 32)).nonce?.byteLength, 32);
    assert.equal(parseOcspRequest(withExtension(req, '1.2.3.4', false)).certIds.length, 1);
  });

  test('a failing lookup or an unusable CA key gives internalError, never an exception', async () => {
    const req = request('reqe.der', '-issuer', 'ca.pem', '-cert', 'good.pem', '-no_nonce');
    const failing = await buildOcspResponse({
      ca,
      requestDer: req,
      lookup: () => Promise.reject(new Error('database down')),
    });
    work.write('err.der', failing);
    assert.match(openssl('ocsp', '-respin', 'err.der', '-resp_text', '-noverify')[1], /internalerror \(2\)/);
    const badKey = await buildOcspResponse({ ca: { certPem: ca.certPem, keyPem: 'x' }, requestDer: req, lookup });
    work.write('err2.der', badKey);
    assert.match(openssl('ocsp', '-respin', 'err2.der', '-resp_text', '-noverify')[1], /internalerror \(2\)/);
  });
});

/** The request with its nonce replaced by one of `length` octets. */
function withNonce(der: Uint8Array, length: number): Uint8Array {
  const nonce = new Uint8Array(AsnConvert.serialize(new OctetString(new Uint8Array(length).fill(7))));
  return withRequestExtensions(der, [new Extension({ extnID: id_pkix_ocsp_nonce, extnValue: new OctetString(nonce) })]);
}

function withExtension(der: Uint8Array, oid: string, critical: boolean): Uint8Array {
  return withRequestExtensions(der, [
    new Extension({ extnID: oid, critical, extnValue: new OctetString(new Uint8Array([5, 0])) }),
  ]);
}

function withRequestExtensions(der: Uint8Array, extensions: Extension[]): Uint8Array {
  const request = AsnConvert.parse(der, OCSPRequest);
  const tbsRequest = new TBSRequest({
    requestList: request.tbsRequest.requestList.map((single) => new Request({ reqCert: single.reqCert })),
    requestExtensions: extensions,
  });
  return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest })));
}
