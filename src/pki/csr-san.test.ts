/**
 * Requested subject alternative names, from CSRs made by `openssl req -addext subjectAltName=…` with each kind
 * of name, through readCsr, the SAN policy and issueClientCertificate; `openssl x509` reads the result.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { needsOpenssl, OpensslWorkdir } from '../../test/helpers/openssl.ts';
import { GatewayError } from '../errors/index.ts';
import { createManagedCa, type IssuedCertificate } from './certificate-issuer.ts';
import { issueClientCertificate } from './client-certificate-issuer.ts';
import { readCsr } from './csr.ts';
import { applySanPolicy, readSanPolicy } from './san-policy.ts';

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

describe('SANs requested in a CSR', needsOpenssl, () => {
  let work: OpensslWorkdir;
  let ca: IssuedCertificate;
  let count = 0;
  const csrWith = (subject: string, san?: string): string =>
    work.newCsr(`san${++count}`, P256, subject, ...(san === undefined ? [] : ['-addext', `subjectAltName=${san}`]));

  before(async () => {
    work = new OpensslWorkdir();
    ca = await createManagedCa('CN=SAN Test CA,O=Portcullis Tests');
  });
  after(() => work.remove());

  test('every kind is read, in the CSR’s order', () => {
    const csr = readCsr(
      csrWith(
        '/CN=device-42',
        'DNS:device-42.example.com,URI:spiffe://example.com/device/42,email:ops@example.com,IP:192.0.2.7,IP:2001:db8:0:0::7,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:upn@example.com,RID:1.2.3.4',
      ),
    );
    assert.deepEqual(csr.requestedSans, [
      { kind: 'dns', value: 'device-42.example.com' },
      { kind: 'uri', value: 'spiffe://example.com/device/42' },
      { kind: 'email', value: 'ops@example.com' },
      { kind: 'ip', value: '192.0.2.7' },
      { kind: 'ip', value: '2001:db8::7' },
      { kind: 'other', value: 'otherName 1.3.6.1.4.1.311.20.2.3' },
      { kind: 'other', value: 'registeredID 1.2.3.4' },
    ]);
  });

  test('a CSR without SANs requests none', () => {
    assert.deepEqual(readCsr(csrWith('/CN=plain')).requestedSans, []);
  });

  test('the allowed names are certified, as openssl reads them', () => {
    const csr = readCsr(
      csrWith(
        '/O=Acme/CN=device-42',
        'DNS:device-42.example.com,URI:spiffe://example.com/device/42,email:ops@example.com,IP:192.0.2.7',
      ),
    );
    const policy = readSanPolicy({
      dns_domains: ['example.com'],
      email_domains: ['example.com'],
      uri_prefixes: ['spiffe://example.com/'],
      ip_addresses: true,
    });
    const { allowed, refused } = applySanPolicy(csr.requestedSans, policy);
    assert.deepEqual(refused, []);
    const issued = issueClientCertificate({ ca, csr, validityDays: 30, subjectAltNames: allowed });
    work.write('issued.pem', issued.certPem);
    const text = work.run(['x509', '-in', 'issued.pem', '-noout', '-ext', 'subjectAltName']);
    assert.match(text, /X509v3 Subject Alternative Name: \n/);
    assert.match(
      text,
      /DNS:device-42\.example\.com, URI:spiffe:\/\/example\.com\/device\/42, email:ops@example\.com, IP Address:192\.0\.2\.7/,
    );
  });

  test('a subject-less CSR naming its client by a SPIFFE ID gets a critical SAN (RFC 5280 §4.2.1.6)', () => {
    const csr = readCsr(csrWith('/', 'URI:spiffe://example.com/workload'));
    assert.equal(csr.subject.commonName, '');
    const issued = issueClientCertificate({ ca, csr, validityDays: 30, subjectAltNames: csr.requestedSans });
    work.write('subjectless.pem', issued.certPem);
    const text = work.run(['x509', '-in', 'subjectless.pem', '-noout', '-text']);
    assert.match(text, /X509v3 Subject Alternative Name: critical\s+URI:spiffe:\/\/example\.com\/workload/);
    assert.match(text, /Subject: *\n/);
    const [verified, output] = work.check([
      'verify',
      '-CAfile',
      work.write('ca.pem', ca.certPem),
      '-purpose',
      'sslclient',
      'subjectless.pem',
    ]);
    assert.ok(verified, output);
  });

  test('a subject-less CSR without SANs is still refused', () => {
    assert.throws(
      () => readCsr(csrWith('/')),
      (error: unknown) =>
        error instanceof GatewayError && error.code === 'GW_ERR_CSR_INVALID' && /none of CN/.test(error.message),
    );
  });
});
