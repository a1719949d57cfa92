import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { IssuingDistributionPoint } from '@peculiar/asn1-x509';
import { createCa, type CaHandle } from '../../test/helpers/pki.ts';
import { acceptCrl, type AcceptCrlInput } from './crl-acceptance.ts';
import { readCrlBytes, readCrlText } from './crl-input.ts';

const HOUR = 3_600_000;

describe('acceptCrl', () => {
  let ca: CaHandle;
  let other: CaHandle;
  let cas: X509Certificate[];

  before(async () => {
    ca = await createCa('CN=Fleet CA,O=Tests');
    other = await createCa('CN=Other CA,O=Tests');
    cas = [new X509Certificate(ca.certPem)];
  });

  const input = (pem: string, overrides: Partial<AcceptCrlInput> = {}): AcceptCrlInput => ({
    der: readCrlText(pem),
    cas,
    inForce: () => undefined,
    now: new Date(),
    ...overrides,
  });

  const refusedWith = async (pem: string, code: string, reason: RegExp, overrides: Partial<AcceptCrlInput> = {}) => {
    await assert.rejects(acceptCrl(input(pem, overrides)), (error: Error & { code?: string }) => {
      assert.equal(error.code, code);
      assert.match(error.message, reason);
      return true;
    });
  };

  test('a good CRL: issuer, number, dates and the revoked serials in the data plane form', async () => {
    const pem = await ca.crl(['00AB12', 'cd34'], { crlNumber: 42 });
    const accepted = await acceptCrl(input(pem));
    assert.equal(accepted.issuerFingerprint256, cas[0]?.fingerprint256);
    assert.equal(accepted.crlNumber, 42n);
    assert.deepEqual([...accepted.revokedSerials].sort(), ['AB12', 'CD34']);
    assert.ok(accepted.nextUpdate.getTime() > Date.now());
    assert.match(accepted.issuerSubject, /Fleet CA/);
  });

  test('DER and base64 DER are read like PEM', async () => {
    const der = readCrlText(await ca.crl([], { crlNumber: 1 }));
    assert.deepEqual(readCrlBytes(der), der);
    assert.deepEqual(readCrlText(der.toString('base64')), der);
    assert.equal((await acceptCrl({ cas, inForce: () => undefined, now: new Date(), der })).crlNumber, 1n);
  });

  test('stale: nextUpdate passed', async () => {
    const pem = await ca.crl([], { thisUpdate: new Date(Date.now() - 2 * HOUR), nextUpdate: new Date(Date.now() - 1000) });
    await refusedWith(pem, 'GW_ERR_CRL_STALE', /nextUpdate .* has passed/);
  });

  test('signed by another CA, or naming this CA but signed with another key', async () => {
    await refusedWith(await other.crl([]), 'GW_ERR_CRL_WRONG_SIGNER', /issued by "CN=Other CA, O=Tests", not by a CA of this bundle/);
    const forged = await ca.crl([], { signingKey: other.keys.privateKey });
    await refusedWith(forged, 'GW_ERR_CRL_WRONG_SIGNER', /does not verify with the CA's key/);
  });

  test('a CRL number lower than the one in force is refused; the same number is accepted again', async () => {
    const pem = await ca.crl([], { crlNumber: 7 });
    const fingerprint = cas[0]?.fingerprint256;
    const inForce = (issuer: string) => (issuer === fingerprint ? 8n : undefined);
    await refusedWith(pem, 'GW_ERR_CRL_OUTDATED', /CRL number 7, the one in force has 8/, { inForce });
    assert.equal((await acceptCrl(input(pem, { inForce: () => 7n }))).crlNumber, 7n);
  });

  test('no cRLNumber, a critical one, a delta CRL, an unknown critical extension', async () => {
    await refusedWith(await ca.crl([], { crlNumber: null }), 'GW_ERR_CRL_INVALID', /no cRLNumber/);
    const critical = await ca.crl([], {
      crlNumber: null,
      extraExtensions: [new x509.Extension('2.5.29.20', true, new Uint8Array([0x02, 0x01, 0x05]))],
    });
    await refusedWith(critical, 'GW_ERR_CRL_INVALID', /cRLNumber is critical/);
    const delta = await ca.crl([], {
      extraExtensions: [new x509.Extension('2.5.29.27', true, new Uint8Array([0x02, 0x01, 0x03]))],
    });
    await refusedWith(delta, 'GW_ERR_CRL_INVALID', /a delta CRL/);
    const unknown = await ca.crl([], {
      extraExtensions: [new x509.Extension('1.2.3.4.5', true, new Uint8Array([0x05, 0x00]))],
    });
    await refusedWith(unknown, 'GW_ERR_CRL_INVALID', /unknown critical extension 1\.2\.3\.4\.5/);
  });

  test('a partial CRL (issuingDistributionPoint onlyContainsCACerts) is refused; onlyContainsUserCerts is not', async () => {
    const idp = (params: Partial<IssuingDistributionPoint>) =>
      new x509.Extension('2.5.29.28', true, AsnConvert.serialize(new IssuingDistributionPoint(params)));
    const partial = await ca.crl([], { extraExtensions: [idp({ onlyContainsCACerts: true })] });
    await refusedWith(partial, 'GW_ERR_CRL_INVALID', /a partial CRL \(onlyContainsCACerts\)/);
    const users = await ca.crl([], { extraExtensions: [idp({ onlyContainsUserCerts: true })] });
    assert.ok(await acceptCrl(input(users)));
  });

  test('thisUpdate in the future, nextUpdate before thisUpdate', async () => {
    const future = await ca.crl([], { thisUpdate: new Date(Date.now() + HOUR), nextUpdate: new Date(Date.now() + 2 * HOUR) });
    await refusedWith(future, 'GW_ERR_CRL_INVALID', /thisUpdate .* is in the future/);
  });

  test('the issuing CA must allow cRLSign when it has a keyUsage', async () => {
    const signOnly = await ca.intermediate('CN=No CRL Sign');
    // The intermediate handle signs CRLs with its key; make its certificate look like one without cRLSign.
    const noCrlSign = await x509.X509CertificateGenerator.create({
      serialNumber: '0a',
      subject: 'CN=No CRL Sign',
      issuer: ca.cert.subjectName,
      notBefore: new Date(Date.now() - HOUR),
      notAfter: new Date(Date.now() + HOUR),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      publicKey: signOnly.keys.publicKey,
      signingKey: ca.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      ],
    });
    const pem = await signOnly.crl([]);
    await refusedWith(pem, 'GW_ERR_CRL_WRONG_SIGNER', /does not allow cRLSign/, {
      cas: [new X509Certificate(Buffer.from(noCrlSign.rawData))],
    });
  });

  test('input that is not one CRL', async () => {
    assert.throws(() => readCrlText(''), /Invalid CRL: empty/);
    assert.throws(() => readCrlText('not base64 !'), /neither PEM/);
    assert.throws(() => readCrlText(ca.certPem), /expected an X509 CRL PEM block, found CERTIFICATE/);
    const one = await ca.crl([]);
    assert.throws(() => readCrlText(one + one), /exactly one CRL/);
    assert.throws(() => readCrlBytes(Buffer.concat([readCrlText(one), Buffer.from([0])])), /not exactly one DER/);
    await assert.rejects(acceptCrl({ ...input(one), der: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]) }), /not a parseable/);
  });
});
