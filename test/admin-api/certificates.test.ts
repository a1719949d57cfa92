/**
 * The certificate endpoints of the management API (`portcullis serve`), over real HTTP, with keys,
 * CSRs and CAs made at test time (openssl CLI and @peculiar/x509), run as one suite against SQLite
 * and a real PostgreSQL: client_certificates (issue, list, revoke, reactivate; the CRL and OCSP
 * answers on the gateway listener checked with `openssl crl / verify / ocsp`), mtls_certificates
 * (uploads, the bad-input list of docs/reference/hostile-input.md, quota, delete while in use), hostname
 * associations, custom_certificates, cross-account isolation of all of them, and the OpenAPI document.
 * Wire contract: cloudflare-compatibility.md §1, §3, §4, §5.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, webcrypto } from 'node:crypto';
import { createCa, createSelfSignedLeaf, randomSerial, DAY, Eku, type CaHandle, type Issued } from '../helpers/pki.ts';
import * as x509 from '@peculiar/x509';
import { createTenant, createToken, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { describeOnBothStores } from '../helpers/both-stores.ts';
import { OpensslWorkdir, pemBody, type KeySpec } from '../helpers/openssl.ts';
import { gatewayRequest, readManagedCaPem } from '../helpers/gateway-pki.ts';
import { ok, fails } from '../helpers/v4-assertions.ts';
import { forgeRoot, type Forged } from '../helpers/forge-certificate.ts';

// ---------------------------------------------------------------------------------------------
// Result shapes (cloudflare-compatibility.md §3, §4, §5) and small helpers.

interface ClientCertificate {
  id: string;
  certificate: string;
  certificate_authority: { id: string; name: string };
  common_name: string;
  country: string;
  state: string;
  location: string;
  organization: string;
  organizational_unit: string;
  csr: string;
  expires_on: string;
  issued_on: string;
  fingerprint_sha256: string;
  serial_number: string;
  signature: string;
  ski: string;
  status: string;
  validity_days: number;
}

interface MtlsCertificate {
  id: string;
  name: string;
  ca: boolean;
  certificates: string;
  issuer: string;
  serial_number: string;
  signature: string;
  type: string;
  compatibility: string;
  uploaded_on: string;
  updated_at?: string;
  expires_on: string;
}

interface Hostnames {
  hostnames: string[];
  mtls_certificate_id?: string;
}

interface CustomCertificate {
  id: string;
  zone_id: string;
  hosts: string[];
  issuer: string;
  signature: string;
  expires_on: string;
}

interface Association {
  service: string;
  status: string;
  hostname?: string;
}

interface Tenant {
  accountId: string;
  zoneId: string;
  zone: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const CODE = {
  forbidden: 10000,
  notFound: 7003,
  validation: 12101,
  bodyTooLarge: 12102,
  uploadInvalid: 12110,
  inUse: 12111,
  caWeakKey: 12140,
  caKeyIdentifierMissing: 12147,
  csrInvalid: 12112,
  stateTransition: 12113,
  hostnameNotInZone: 12114,
  caQuota: 1489,
} as const;
/** openssl's names of signature algorithms → Cloudflare's (Go's) names. */
const SIGNATURE_NAMES: Record<string, string> = {
  'ecdsa-with-SHA256': 'ECDSAWithSHA256',
  'ecdsa-with-SHA384': 'ECDSAWithSHA384',
  sha256WithRSAEncryption: 'SHA256WithRSA',
  sha1WithRSAEncryption: 'SHA1WithRSA',
};

/** Flips one byte near the end of a PEM block's DER (inside the signature of a CSR). */
function corruptSignature(pem: string, label: string): string {
  const der = Buffer.from(pemBody(pem), 'base64');
  der[der.length - 2] = (der[der.length - 2] ?? 0) ^ 0x01;
  return `-----BEGIN ${label}-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`;
}

/** A self-signed ECDSA CA whose validity ended yesterday. */
async function expiredCaPem(): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=Expired Root,O=Portcullis Tests',
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - DAY),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return cert.toString('pem') + '\n';
}

/** What openssl reads from a certificate: the independent oracle for the API's fields. */
function opensslFacts(openssl: OpensslWorkdir, pem: string) {
  const text = openssl.textOf(pem);
  const hexAfter = (heading: string): string =>
    (new RegExp(`${heading}:\\s*\\n\\s*([0-9A-F:]+)`).exec(text)?.[1] ?? '').replaceAll(':', '').toLowerCase();
  const file = openssl.write(`facts-${randomUUID()}.pem`, pem);
  return {
    text,
    serial: openssl.serialOf(pem),
    fingerprint: openssl.fingerprintOf(pem),
    signature: SIGNATURE_NAMES[/Signature Algorithm: (\S+)/.exec(text)?.[1] ?? ''] ?? 'unknown',
    ski: hexAfter('X509v3 Subject Key Identifier'),
    aki: hexAfter('X509v3 Authority Key Identifier'),
    issuerRfc2253: openssl
      .run(['x509', '-noout', '-issuer', '-nameopt', 'RFC2253', '-in', file])
      .trim()
      .replace(/^issuer=/, ''),
    notAfter: new Date(
      openssl
        .run(['x509', '-noout', '-enddate', '-in', file])
        .trim()
        .replace(/^notAfter=/, ''),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// The suite, run once per store.

function defineSuite(storeUrl: () => Promise<string | undefined>): void {
  let server: AdminServer;
  let url: string | undefined;
  let openssl: OpensslWorkdir;

  before(async () => {
    url = await storeUrl();
    server = await startAdminServer(url === undefined ? undefined : { kind: 'postgres', url });
    openssl = new OpensslWorkdir();
  });
  after(async () => {
    await server.stop();
    openssl.remove();
  });

  const tenant = async (zone: string): Promise<Tenant> => ({ ...(await createTenant(server, zone)), zone });
  const clientCertificates = (t: Tenant): string => `/zones/${t.zoneId}/client_certificates`;
  const mtlsCertificates = (t: Tenant): string => `/accounts/${t.accountId}/mtls_certificates`;
  const associations = (t: Tenant): string => `/zones/${t.zoneId}/certificate_authorities/hostname_associations`;
  const customCertificates = (t: Tenant): string => `/zones/${t.zoneId}/custom_certificates`;

  async function issue(
    t: Tenant,
    key: KeySpec = 'p256',
    subject = '/CN=device',
    days = 30,
  ): Promise<ClientCertificate> {
    const { csrPem } = openssl.csr(key, subject);
    return ok(
      await server.call<ClientCertificate>('POST', clientCertificates(t), { csr: csrPem, validity_days: days }),
    );
  }

  async function clientCertificateTotal(t: Tenant): Promise<number> {
    const listed = await server.call<ClientCertificate[]>('GET', `${clientCertificates(t)}?per_page=50`);
    ok(listed);
    return listed.body.result_info?.total_count ?? -1;
  }

  async function mtlsList(t: Tenant, query = ''): Promise<MtlsCertificate[]> {
    return ok(await server.call<MtlsCertificate[]>('GET', `${mtlsCertificates(t)}${query}`));
  }

  async function upload(t: Tenant, body: object): Promise<MtlsCertificate> {
    return ok(await server.call<MtlsCertificate>('POST', mtlsCertificates(t), body));
  }

  // -------------------------------------------------------------------------------------------
  describe('client_certificates: issuing from a CSR', () => {
    let t: Tenant;
    before(async () => {
      t = await tenant('issuing.example.com');
    });

    const subjects = '/C=GB/ST=London/L=Soho/O=Acme Ltd/OU=IoT Fleet/CN=device-42';
    for (const [key, days] of [
      ['p256', 30],
      ['rsa2048', 3650],
    ] as const) {
      test(`a ${key} CSR, ${days} days: every field of cloudflare-compatibility.md §4, checked against openssl`, async () => {
        const { csrPem } = openssl.csr(key, subjects);
        const cert = ok(
          await server.call<ClientCertificate>('POST', clientCertificates(t), { csr: csrPem, validity_days: days }),
        );
        const facts = opensslFacts(openssl, cert.certificate);

        assert.match(cert.id, UUID);
        assert.match(cert.certificate, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/);
        assert.match(cert.certificate_authority.id, UUID);
        assert.ok(cert.certificate_authority.name.length > 0);
        assert.deepEqual(
          [cert.common_name, cert.country, cert.state, cert.location, cert.organization, cert.organizational_unit],
          ['device-42', 'GB', 'London', 'Soho', 'Acme Ltd', 'IoT Fleet'],
        );
        assert.equal(pemBody(cert.csr), pemBody(csrPem));
        assert.equal(cert.serial_number, facts.serial);
        // 16 random octets, positive: the first octet has no sign bit (and is not a 0x00 pad).
        assert.match(cert.serial_number, /^[0-9a-f]{32}$/);
        assert.ok(Number.parseInt(cert.serial_number.slice(0, 2), 16) < 0x80, 'a positive serial');
        assert.equal(cert.fingerprint_sha256, facts.fingerprint);
        assert.equal(cert.ski, facts.ski);
        assert.equal(cert.signature, facts.signature);
        assert.equal(cert.status, 'active');
        assert.equal(cert.validity_days, days);
        assert.match(cert.issued_on, SECONDS);
        assert.match(cert.expires_on, SECONDS);
        assert.equal(Date.parse(cert.expires_on) - Date.parse(cert.issued_on), days * DAY);
        assert.equal(facts.notAfter.getTime(), Date.parse(cert.expires_on));
        assert.match(facts.text, /TLS Web Client Authentication/);
        assert.match(facts.text, /CA:FALSE/);

        // Chain: the managed CA, as the gateway publishes it, issued it for client use.
        const caPem = await readManagedCaPem(server, cert.certificate_authority.id);
        assert.equal(facts.aki, opensslFacts(openssl, caPem).ski);
        const ca = openssl.write(`managed-${cert.id}.pem`, caPem);
        const leaf = openssl.write(`leaf-${cert.id}.pem`, cert.certificate);
        assert.equal(openssl.run(['verify', '-purpose', 'sslclient', '-CAfile', ca, leaf]).trim(), `${leaf}: OK`);
        const der = await gatewayRequest(server, `/.well-known/portcullis/ca/${cert.certificate_authority.id}.crt`);
        assert.equal(der.contentType, 'application/pkix-cert');
        assert.equal(der.body.toString('base64'), caPem.replace(/-----[^-]+-----|\s/g, ''));

        assert.deepEqual(ok(await server.call<ClientCertificate>('GET', `${clientCertificates(t)}/${cert.id}`)), cert);
      });
    }

    test('the CRL distribution point and OCSP URL written into certificates reach this gateway', async () => {
      const cert = await issue(t);
      const text = opensslFacts(openssl, cert.certificate).text;
      const base = `https://127.0.0.1:${server.gatewayPort}/.well-known/portcullis`;
      assert.ok(
        text.includes(`URI:${base}/crl/${cert.certificate_authority.id}.crl`),
        `CRL distribution point: ${/URI:\S+crl\S*/.exec(text)?.[0] ?? 'none'}`,
      );
      assert.ok(
        text.includes(`OCSP - URI:${base}/ocsp/${cert.certificate_authority.id}`),
        `OCSP URL: ${/OCSP - URI:\S+/.exec(text)?.[0] ?? 'none'}`,
      );
    });

    const acceptedCsrs: { name: string; csr: () => string }[] = [
      { name: 'CRLF line endings', csr: () => openssl.csr('p256', '/CN=crlf').csrPem.replaceAll('\n', '\r\n') },
      {
        name: 'explanatory text around the block',
        csr: () => `my device\n${openssl.csr('p256', '/CN=text').csrPem}thanks\n`,
      },
      { name: 'no final newline', csr: () => openssl.csr('p256', '/CN=trimmed').csrPem.trimEnd() },
      { name: 'an ECDSA P-384 key', csr: () => openssl.csr('p384', '/CN=p384').csrPem },
    ];
    for (const { name, csr } of acceptedCsrs) {
      test(`accepted: ${name}`, async () => {
        const cert = ok(
          await server.call<ClientCertificate>('POST', clientCertificates(t), { csr: csr(), validity_days: 1 }),
        );
        assert.equal(cert.status, 'active');
        assert.match(cert.csr, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
      });
    }

    const badCsrs: { name: string; csr: () => string }[] = [
      { name: 'garbage', csr: () => 'this is not a certificate request' },
      {
        name: 'truncated base64',
        csr: () => openssl.csr('p256', '/CN=cut').csrPem.slice(0, 150) + '\n-----END CERTIFICATE REQUEST-----\n',
      },
      {
        name: 'a bad signature (one byte flipped)',
        csr: () => corruptSignature(openssl.csr('p256', '/CN=flipped').csrPem, 'CERTIFICATE REQUEST'),
      },
      { name: 'an RSA-1024 key', csr: () => openssl.csr('rsa1024', '/CN=weak').csrPem },
      { name: 'a P-521 key', csr: () => openssl.csr('p521', '/CN=p521').csrPem },
      { name: 'an Ed25519 key', csr: () => openssl.csr('ed25519', '/CN=ed').csrPem },
      { name: 'a private key instead of a CSR', csr: () => openssl.csr('p256', '/CN=key').keyPem },
      { name: 'a certificate instead of a CSR', csr: () => openssl.selfSignedCa().certPem },
    ];
    for (const { name, csr } of badCsrs) {
      test(`refused with 400 / ${CODE.csrInvalid}, nothing stored: ${name}`, async () => {
        const total = await clientCertificateTotal(t);
        const body = csr();
        const response = await server.call('POST', clientCertificates(t), { csr: body, validity_days: 30 });
        fails(response, 400, CODE.csrInvalid);
        if (body.includes('PRIVATE KEY'))
          assert.ok(!JSON.stringify(response.body).includes(pemBody(body).slice(0, 40)));
        assert.equal(await clientCertificateTotal(t), total);
      });
    }

    for (const days of [0, 5476, 1.5, 'x', -1, null]) {
      test(`validity_days ${JSON.stringify(days)} → 400, nothing stored`, async () => {
        const total = await clientCertificateTotal(t);
        const { csrPem } = openssl.csr('p256', '/CN=days');
        fails(
          await server.call('POST', clientCertificates(t), { csr: csrPem, validity_days: days }),
          400,
          CODE.validation,
        );
        assert.equal(await clientCertificateTotal(t), total);
      });
    }
  });

  // -------------------------------------------------------------------------------------------
  describe('client_certificates: listing', () => {
    let t: Tenant;
    let all: ClientCertificate[];
    before(async () => {
      t = await tenant('paging.example.com');
      for (let i = 0; i < 7; i++) await issue(t, 'p256', `/CN=paged-${i}`);
      all = ok(await server.call<ClientCertificate[]>('GET', `${clientCertificates(t)}?per_page=50`));
      // Two revoked, five active, for the status filter.
      for (const cert of all.slice(0, 2)) ok(await server.call('DELETE', `${clientCertificates(t)}/${cert.id}`));
    });

    test('7 certificates, per_page=5: 5, then 2, then an empty page with 200; result_info filled', async () => {
      const page = (n: number) =>
        server.call<ClientCertificate[]>('GET', `${clientCertificates(t)}?per_page=5&page=${n}`);
      const [one, two, three] = [await page(1), await page(2), await page(3)];
      assert.equal(ok(one).length, 5);
      assert.equal(ok(two).length, 2);
      assert.deepEqual(ok(three), []);
      assert.deepEqual(one.body.result_info, { page: 1, per_page: 5, count: 5, total_count: 7, total_pages: 2 });
      assert.deepEqual(two.body.result_info, { page: 2, per_page: 5, count: 2, total_count: 7, total_pages: 2 });
      assert.deepEqual(three.body.result_info, { page: 3, per_page: 5, count: 0, total_count: 7, total_pages: 2 });
      const ids = [...one.body.result, ...two.body.result].map((cert) => cert.id);
      assert.deepEqual(
        ids,
        all.map((cert) => cert.id),
      );
    });

    test('without paging parameters: 20 per page', async () => {
      const listed = await server.call<ClientCertificate[]>('GET', clientCertificates(t));
      assert.equal(ok(listed).length, 7);
      assert.deepEqual(listed.body.result_info, { page: 1, per_page: 20, count: 7, total_count: 7, total_pages: 1 });
    });

    test('per_page is clamped to 5…50, not refused', async () => {
      const small = await server.call<ClientCertificate[]>('GET', `${clientCertificates(t)}?per_page=1`);
      assert.equal(ok(small).length, 5);
      assert.equal(small.body.result_info?.per_page, 5);
      const large = await server.call<ClientCertificate[]>('GET', `${clientCertificates(t)}?per_page=500`);
      assert.equal(ok(large).length, 7);
      assert.equal(large.body.result_info?.per_page, 50);
    });

    const filters: [query: string, count: number][] = [
      ['status=revoked', 2],
      ['status=active', 5],
      ['status=pending_revocation', 0],
      ['status=active&status=revoked', 7],
      ['status=active,revoked', 7],
      ['status=all', 7],
    ];
    for (const [query, count] of filters) {
      test(`status filter ${query} → ${count}`, async () => {
        const listed = await server.call<ClientCertificate[]>('GET', `${clientCertificates(t)}?per_page=50&${query}`);
        assert.equal(ok(listed).length, count);
        assert.equal(listed.body.result_info?.total_count, count);
        const wanted = query.replace(/^status=/, '').split(/,|&status=/);
        if (!wanted.includes('all')) for (const cert of listed.body.result) assert.ok(wanted.includes(cert.status));
      });
    }

    test('an unknown status → 400', async () => {
      fails(await server.call('GET', `${clientCertificates(t)}?status=bogus`), 400, CODE.validation);
    });

    test('limit and offset', async () => {
      const ids = all.map((cert) => cert.id);
      const slice = async (query: string) =>
        ok(await server.call<ClientCertificate[]>('GET', `${clientCertificates(t)}?${query}`)).map((cert) => cert.id);
      assert.deepEqual(await slice('limit=3&offset=2'), ids.slice(2, 5));
      assert.deepEqual(await slice('offset=6&limit=3'), ids.slice(6));
      assert.deepEqual(await slice('offset=7&limit=3'), []);
      assert.deepEqual(await slice('limit=2'), ids.slice(0, 2));
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('client_certificates: revoke and reactivate, seen through the CRL and OCSP', () => {
    let t: Tenant;
    let revoked: ClientCertificate;
    let kept: ClientCertificate;
    let files: { ca: string; revoked: string; kept: string };

    before(async () => {
      t = await tenant('revocation.example.com');
      revoked = await issue(t, 'p256', '/CN=to-revoke');
      kept = await issue(t, 'rsa2048', '/CN=kept');
      const caPem = await readManagedCaPem(server, revoked.certificate_authority.id);
      files = {
        ca: openssl.write('revocation-ca.pem', caPem),
        revoked: openssl.write('revoked.pem', revoked.certificate),
        kept: openssl.write('kept.pem', kept.certificate),
      };
    });

    const crlPath = (): string => `/.well-known/portcullis/crl/${revoked.certificate_authority.id}`;
    const ocspUrl = (): string =>
      `https://127.0.0.1:${server.gatewayPort}/.well-known/portcullis/ocsp/${revoked.certificate_authority.id}`;

    /** Fetches the CRL (DER) from the gateway and writes it as PEM; returns `openssl crl -text`. */
    async function fetchCrl(): Promise<{ text: string; file: string }> {
      const response = await gatewayRequest(server, `${crlPath()}.crl`);
      assert.equal(response.status, 200);
      assert.equal(response.contentType, 'application/pkix-crl');
      const der = openssl.write(`crl-${randomUUID()}.der`, response.body);
      const file = `${der}.pem`;
      openssl.run(['crl', '-inform', 'DER', '-in', der, '-out', file]);
      const text = openssl.run(['crl', '-inform', 'DER', '-noout', '-text', '-in', der]);
      // Signed by the managed CA.
      assert.match((await openssl.runAsync(['crl', '-in', file, '-CAfile', files.ca, '-noout'])).stderr, /verify OK/);
      return { text, file };
    }

    /**
     * `openssl ocsp` as a real client against the gateway; returns each target's status. A target is
     * a certificate file, or a serial (`0x…`) asked about under this CA: a certificate of another CA
     * cannot be given with `-cert` (OpenSSL 3.0.22 refuses to build its request).
     */
    async function ocsp(...targets: string[]): Promise<Record<string, string>> {
      const args = ['ocsp', '-issuer', files.ca, '-url', ocspUrl(), '-CAfile', files.ca, '-timeout', '10'];
      for (const target of targets) args.push(target.startsWith('0x') ? '-serial' : '-cert', target);
      const result = await openssl.runAsync(args);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /Response verify OK/);
      return Object.fromEntries(
        [...result.stdout.matchAll(/^(\S+): (good|revoked|unknown)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
      );
    }

    test('before revocation: the CRL lists nothing of ours and OCSP says good', async () => {
      const { text } = await fetchCrl();
      assert.ok(!text.toLowerCase().includes(revoked.serial_number));
      assert.deepEqual(await ocsp(files.revoked, files.kept), { [files.revoked]: 'good', [files.kept]: 'good' });
    });

    test('DELETE → pending_revocation; a second DELETE is idempotent; GET shows revoked', async () => {
      const first = ok(await server.call<ClientCertificate>('DELETE', `${clientCertificates(t)}/${revoked.id}`));
      assert.equal(first.status, 'pending_revocation');
      assert.equal(first.id, revoked.id);
      const second = ok(await server.call<ClientCertificate>('DELETE', `${clientCertificates(t)}/${revoked.id}`));
      assert.ok(['pending_revocation', 'revoked'].includes(second.status), second.status);
      const shown = ok(await server.call<ClientCertificate>('GET', `${clientCertificates(t)}/${revoked.id}`));
      assert.equal(shown.status, 'revoked');
      assert.equal(
        ok(await server.call<ClientCertificate>('GET', `${clientCertificates(t)}/${kept.id}`)).status,
        'active',
      );
    });

    test('the CRL on the gateway lists the serial, and openssl verify -crl_check refuses the certificate', async () => {
      const { text, file } = await fetchCrl();
      assert.match(text, new RegExp(`Serial Number: ${revoked.serial_number}$`, 'im'));
      assert.ok(!text.toLowerCase().includes(kept.serial_number));
      const refused = openssl.tryRun(['verify', '-crl_check', '-CRLfile', file, '-CAfile', files.ca, files.revoked]);
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /certificate revoked/);
      const accepted = openssl.tryRun(['verify', '-crl_check', '-CRLfile', file, '-CAfile', files.ca, files.kept]);
      assert.equal(accepted.status, 0, accepted.stderr);
      // The PEM form is the same CRL.
      const pem = await gatewayRequest(server, `${crlPath()}.pem`);
      assert.equal(pem.status, 200);
      assert.match(pem.body.toString(), /^-----BEGIN X509 CRL-----\n/);
      assert.equal(pemBody(pem.body.toString()), pemBody(openssl.run(['crl', '-in', file])));
    });

    test('OCSP (openssl ocsp over HTTPS POST, nonce checked): revoked, and good for the other', async () => {
      assert.deepEqual(await ocsp(files.revoked, files.kept), { [files.revoked]: 'revoked', [files.kept]: 'good' });
    });

    test('OCSP by GET (base64 request in the path) says revoked too', async () => {
      const request = openssl.write('ocsp-get.req', '');
      openssl.run(['ocsp', '-issuer', files.ca, '-cert', files.revoked, '-no_nonce', '-reqout', request]);
      const encoded = encodeURIComponent(openssl.run(['base64', '-A', '-in', request]).trim());
      const answer = await gatewayRequest(
        server,
        `/.well-known/portcullis/ocsp/${revoked.certificate_authority.id}/${encoded}`,
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.contentType, 'application/ocsp-response');
      const respin = openssl.write('ocsp-get.resp', answer.body);
      const out = openssl.run([
        'ocsp',
        '-respin',
        respin,
        '-issuer',
        files.ca,
        '-cert',
        files.revoked,
        '-CAfile',
        files.ca,
      ]);
      assert.match(out, /: revoked$/m);
    });

    test('PATCH {reactivate:true} → pending_reactivation, then active; OCSP good and the CRL drops it', async () => {
      const patched = ok(
        await server.call<ClientCertificate>('PATCH', `${clientCertificates(t)}/${revoked.id}`, { reactivate: true }),
      );
      assert.equal(patched.status, 'pending_reactivation');
      assert.equal(
        ok(await server.call<ClientCertificate>('GET', `${clientCertificates(t)}/${revoked.id}`)).status,
        'active',
      );
      assert.deepEqual(await ocsp(files.revoked), { [files.revoked]: 'good' });
      const { text } = await fetchCrl();
      assert.ok(!text.toLowerCase().includes(revoked.serial_number));
    });

    test(`PATCH on an active certificate → 400 / ${CODE.stateTransition}, unchanged`, async () => {
      fails(
        await server.call('PATCH', `${clientCertificates(t)}/${kept.id}`, { reactivate: true }),
        400,
        CODE.stateTransition,
      );
      assert.equal(
        ok(await server.call<ClientCertificate>('GET', `${clientCertificates(t)}/${kept.id}`)).status,
        'active',
      );
    });

    test('OCSP says unknown (never good) for a serial this CA did not issue', async () => {
      const stranger = await issue(await tenant('stranger.example.com'), 'p256', '/CN=stranger');
      assert.notEqual(stranger.certificate_authority.id, revoked.certificate_authority.id);
      const serial = `0x${stranger.serial_number}`;
      assert.deepEqual(await ocsp(serial), { [serial]: 'unknown' });
    });

    test('PATCH without a body (older clients; cloudflare-compatibility.md §4.3) also reactivates', async () => {
      ok(await server.call('DELETE', `${clientCertificates(t)}/${kept.id}`));
      const withoutBody = await server.call<ClientCertificate>('PATCH', `${clientCertificates(t)}/${kept.id}`);
      assert.equal(ok(withoutBody).status, 'pending_reactivation');
      ok(await server.call('DELETE', `${clientCertificates(t)}/${kept.id}`));
      // Content-Type: application/json with an empty body is "no body" too.
      const emptyJson = await server.call<ClientCertificate>('PATCH', `${clientCertificates(t)}/${kept.id}`, '');
      assert.equal(ok(emptyJson).status, 'pending_reactivation');
    });

    test('an unknown certificate id → 404; an unknown CA on the gateway → 404', async () => {
      fails(await server.call('GET', `${clientCertificates(t)}/${randomUUID()}`), 404, CODE.notFound);
      fails(await server.call('DELETE', `${clientCertificates(t)}/${randomUUID()}`), 404, CODE.notFound);
      assert.equal((await gatewayRequest(server, `/.well-known/portcullis/crl/${randomUUID()}.crl`)).status, 404);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('mtls_certificates: uploads', () => {
    let t: Tenant;
    let root: CaHandle;
    let intermediate: CaHandle;
    let leaf: Issued;
    before(async () => {
      t = await tenant('uploads.example.com');
      // @peculiar/x509 encodes RDNs in the order written: C first, as a usual certificate does.
      root = await createCa('C=US,ST=California,L=San Francisco,O=Acme Inc.,OU=PKI,CN=Upload Root');
      intermediate = await root.intermediate('CN=Upload Issuing CA,O=Acme Inc.');
      leaf = await intermediate.issue({ subject: 'CN=gateway-client,O=Acme Inc.', eku: [Eku.clientAuth] });
    });

    function assertDescribes(result: MtlsCertificate, firstPem: string, body: { ca: boolean; name?: string }): void {
      const facts = opensslFacts(openssl, firstPem);
      assert.match(result.id, UUID);
      assert.equal(result.ca, body.ca);
      assert.equal(result.name, body.name ?? '');
      assert.equal(result.type, 'custom');
      assert.equal(result.issuer, facts.issuerRfc2253);
      assert.ok(!result.issuer.includes(', '), result.issuer);
      assert.equal(result.serial_number, BigInt(`0x${facts.serial}`).toString(10));
      assert.equal(result.signature, facts.signature);
      assert.equal(Date.parse(result.expires_on), facts.notAfter.getTime());
      assert.match(result.uploaded_on, MICROS);
    }

    test('a root CA (ECDSA) → 200 with every field of cloudflare-compatibility.md §3', async () => {
      const result = await upload(t, { ca: true, certificates: root.certPem, name: 'root' });
      assertDescribes(result, root.certPem, { ca: true, name: 'root' });
      assert.equal(result.issuer, 'CN=Upload Root,OU=PKI,O=Acme Inc.,L=San Francisco,ST=California,C=US');
      assert.equal(result.signature, 'ECDSAWithSHA256');
      assert.match(result.updated_at ?? '', MICROS);
      assert.equal(pemBody(result.certificates), pemBody(root.certPem));
      const got = ok(await server.call<MtlsCertificate>('GET', `${mtlsCertificates(t)}/${result.id}`));
      const listed: Partial<MtlsCertificate> = { ...result };
      delete listed.updated_at; // only in the create response (cloudflare-compatibility.md §3)
      assert.deepEqual(got, listed);
    });

    test('an RSA root made by openssl → SHA256WithRSA', async () => {
      const { certPem } = openssl.selfSignedCa({ key: 'rsa2048', subject: '/C=DE/O=Beispiel GmbH/CN=RSA Root' });
      const result = await upload(t, { ca: true, certificates: certPem });
      assertDescribes(result, certPem, { ca: true });
      assert.equal(result.signature, 'SHA256WithRSA');
      assert.equal(result.issuer, 'CN=RSA Root,O=Beispiel GmbH,C=DE');
    });

    test('a root + intermediate bundle → 200, both certificates kept', async () => {
      const result = await upload(t, { ca: true, certificates: intermediate.certPem + root.certPem, name: 'bundle' });
      assertDescribes(result, intermediate.certPem, { ca: true, name: 'bundle' });
      assert.equal(result.certificates.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2);
      assert.equal(pemBody(result.certificates), pemBody(intermediate.certPem) + pemBody(root.certPem));
    });

    test('a leaf with its private key (ca:false) → 200; the key is never returned', async () => {
      const result = await upload(t, {
        ca: false,
        certificates: leaf.certPem + intermediate.certPem,
        private_key: leaf.keyPem,
        name: 'client',
      });
      assertDescribes(result, leaf.certPem, { ca: false, name: 'client' });
      const listed = await server.call('GET', mtlsCertificates(t));
      for (const text of [JSON.stringify(result), JSON.stringify(listed.body)]) {
        assert.ok(!text.includes(pemBody(leaf.keyPem).slice(0, 40)));
        assert.ok(!text.includes('PRIVATE KEY'));
      }
    });

    test('list: everything in one page with result_info; the type filter', async () => {
      const listed = await server.call<MtlsCertificate[]>('GET', mtlsCertificates(t));
      const all = ok(listed);
      assert.equal(all.length, 4);
      assert.deepEqual(listed.body.result_info, { page: 1, per_page: 4, count: 4, total_count: 4, total_pages: 1 });
      for (const item of all) assert.equal(item.updated_at, undefined);
      assert.equal((await mtlsList(t, '?type=custom')).length, 4);
      assert.equal((await mtlsList(t, '?type=gateway_managed')).length, 0);
      assert.equal((await mtlsList(t, '?type=gateway_managed&type=custom')).length, 4);
      assert.equal((await mtlsList(t, '?type=access_managed,custom')).length, 4);
    });

    test('an unknown id → 404', async () => {
      fails(await server.call('GET', `${mtlsCertificates(t)}/${randomUUID()}`), 404, CODE.notFound);
      fails(await server.call('DELETE', `${mtlsCertificates(t)}/${randomUUID()}`), 404, CODE.notFound);
    });

    // hostile-input.md "Management API": each refused with a 4xx and code 12110 (or the code of the client-chain
    // rule that applies to CAs), nothing stored.
    const badUploads: {
      name: string;
      body: () => Promise<{ ca: boolean; certificates: string; private_key?: string }>;
      code?: number;
    }[] = [
      {
        name: 'truncated base64',
        body: () =>
          Promise.resolve({ ca: true, certificates: root.certPem.slice(0, 300) + '\n-----END CERTIFICATE-----\n' }),
      },
      {
        name: 'mismatched BEGIN/END labels',
        body: () =>
          Promise.resolve({ ca: true, certificates: root.certPem.replace('END CERTIFICATE', 'END PRIVATE KEY') }),
      },
      {
        name: 'missing END line',
        body: () => Promise.resolve({ ca: true, certificates: root.certPem.split('-----END')[0]! }),
      },
      {
        name: 'DER sent as text',
        body: () => Promise.resolve({ ca: true, certificates: root.der.toString('latin1') }),
      },
      {
        name: 'NUL bytes inside the PEM',
        body: () => Promise.resolve({ ca: true, certificates: root.certPem.replace('\n', '\n\u0000\u0000\n') }),
      },
      {
        name: 'a CSR inside certificates',
        body: () => Promise.resolve({ ca: true, certificates: openssl.csr('p256', '/CN=csr').csrPem }),
      },
      { name: 'a leaf uploaded as ca:true', body: () => Promise.resolve({ ca: true, certificates: leaf.certPem }) },
      {
        name: 'a self-signed end-entity uploaded as a CA',
        body: async () => ({ ca: true, certificates: (await createSelfSignedLeaf('CN=Pinned Leaf')).certPem }),
      },
      {
        name: 'a CA without keyCertSign',
        body: () =>
          Promise.resolve({
            ca: true,
            certificates: openssl.selfSignedCa({ keyUsage: 'digitalSignature,cRLSign' }).certPem,
          }),
      },
      { name: 'an expired CA', body: async () => ({ ca: true, certificates: await expiredCaPem() }) },
      {
        name: 'a SHA-1 signed CA (openssl -sha1)',
        body: () =>
          Promise.resolve({ ca: true, certificates: openssl.selfSignedCa({ key: 'rsa2048', digest: 'sha1' }).certPem }),
      },
      {
        name: 'an RSA-1024 CA',
        body: () => Promise.resolve({ ca: true, certificates: openssl.selfSignedCa({ key: 'rsa1024' }).certPem }),
        // A client-chain rule that applies to CAs has its own code (docs/adr/0008).
        code: CODE.caWeakKey,
      },
      {
        name: 'a PRIVATE KEY block inside certificates',
        body: () => Promise.resolve({ ca: true, certificates: root.certPem + root.keyPem }),
      },
      {
        name: 'ca:true with a private_key',
        body: () => Promise.resolve({ ca: true, certificates: root.certPem, private_key: root.keyPem }),
      },
      {
        name: 'a leaf whose private_key does not match',
        body: async () => ({
          ca: false,
          certificates: leaf.certPem,
          private_key: (await intermediate.issue({ subject: 'CN=other' })).keyPem,
        }),
      },
      {
        name: 'an intermediate without its root',
        body: () => Promise.resolve({ ca: true, certificates: intermediate.certPem }),
      },
      {
        name: 'a root bundled with an unrelated leaf',
        body: () => Promise.resolve({ ca: true, certificates: root.certPem + leaf.certPem }),
      },
    ];
    for (const { name, body, code = CODE.uploadInvalid } of badUploads) {
      test(`refused with 400 / ${code}, nothing stored: ${name}`, async () => {
        const before = await mtlsList(t);
        const sent = await body();
        const response = await server.call('POST', mtlsCertificates(t), sent);
        fails(response, 400, code);
        const text = JSON.stringify(response.body);
        for (const key of [sent.private_key, /-----BEGIN PRIVATE KEY-----[\s\S]*/.exec(sent.certificates)?.[0]]) {
          if (key === undefined) continue;
          // Neither the key nor any line of it comes back.
          for (const line of key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')))
            assert.ok(!text.includes(line), `the response repeats the private key: ${text}`);
        }
        assert.deepEqual(await mtlsList(t), before);
      });
    }

    test(`a body over the size limit → 413 / ${CODE.bodyTooLarge}, nothing stored`, async () => {
      const before = await mtlsList(t);
      const huge = { ca: true, certificates: root.certPem + 'A'.repeat(1100 * 1024) };
      fails(await server.call('POST', mtlsCertificates(t), huge), 413, CODE.bodyTooLarge);
      assert.deepEqual(await mtlsList(t), before);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('mtls_certificates: compatibility (strict by default, legacy on request; docs/adr/0008)', () => {
    let t: Tenant;
    let noSkiRoot: Forged;
    before(async () => {
      t = await tenant('compatibility.example.com');
      noSkiRoot = forgeRoot('CN=Legacy Private Root', { subjectKeyIdentifier: false });
    });

    test('every CA is strict unless uploaded otherwise, and the view says so', async () => {
      const root = await createCa('CN=Compatibility Strict Root');
      const uploaded = await upload(t, { ca: true, certificates: root.certPem });
      assert.equal(uploaded.compatibility, 'strict');
      const fetched = ok(await server.call<MtlsCertificate>('GET', `${mtlsCertificates(t)}/${uploaded.id}`));
      assert.equal(fetched.compatibility, 'strict');
    });

    test(`a root without subjectKeyIdentifier → 400 / ${CODE.caKeyIdentifierMissing} strict; 200 legacy`, async () => {
      const refused = await server.call('POST', mtlsCertificates(t), { ca: true, certificates: noSkiRoot.pem });
      assert.match(fails(refused, 400, CODE.caKeyIdentifierMissing), /missing-subject-key-identifier/);
      const accepted = await upload(t, { ca: true, certificates: noSkiRoot.pem, compatibility: 'legacy' });
      assert.equal(accepted.compatibility, 'legacy');
    });

    test('PATCH changes it, checking the CA again: to strict is refused for a CA that breaks strict', async () => {
      const legacy = await upload(t, { ca: true, certificates: noSkiRoot.pem, compatibility: 'legacy' });
      const item = `${mtlsCertificates(t)}/${legacy.id}`;
      fails(await server.call('PATCH', item, { compatibility: 'strict' }), 400, CODE.caKeyIdentifierMissing);
      assert.equal(ok(await server.call<MtlsCertificate>('GET', item)).compatibility, 'legacy', 'unchanged');
      const good = await upload(t, { ca: true, certificates: (await createCa('CN=Switchable Root')).certPem });
      const switched = ok(
        await server.call<MtlsCertificate>('PATCH', `${mtlsCertificates(t)}/${good.id}`, { compatibility: 'legacy' }),
      );
      assert.equal(switched.compatibility, 'legacy');
      assert.match(switched.updated_at ?? '', MICROS);
    });

    test(`compatibility is for CAs, and one of two words → 400 / ${CODE.validation}`, async () => {
      const root = await createCa('CN=Leaf Issuer Root');
      const leaf = await root.issue({ subject: 'CN=client', eku: [Eku.clientAuth] });
      const body = { ca: false, certificates: leaf.certPem, private_key: leaf.keyPem };
      fails(await server.call('POST', mtlsCertificates(t), { ...body, compatibility: 'legacy' }), 400, CODE.validation);
      const stored = await upload(t, body);
      assert.equal(stored.compatibility, 'strict');
      const item = `${mtlsCertificates(t)}/${stored.id}`;
      fails(await server.call('PATCH', item, { compatibility: 'legacy' }), 400, CODE.validation);
      fails(
        await server.call('POST', mtlsCertificates(t), { ca: true, certificates: root.certPem, compatibility: 'lax' }),
        400,
        CODE.validation,
      );
      fails(await server.call('PATCH', item, { compatibility: 'strict', ca: true }), 400, CODE.validation);
      fails(
        await server.call('PATCH', `${mtlsCertificates(t)}/${randomUUID()}`, { compatibility: 'strict' }),
        404,
        CODE.notFound,
      );
    });
  });

  describe('mtls_certificates: quota, delete while associated, associations', () => {
    let t: Tenant;
    let cas: MtlsCertificate[];
    before(async () => {
      t = await tenant('quota.example.com');
      cas = [];
      for (let i = 0; i < 5; i++)
        cas.push(await upload(t, { ca: true, certificates: (await createCa(`CN=Quota CA ${i}`)).certPem }));
    });

    test(`the 6th CA of an account → 400 / ${CODE.caQuota}; a leaf still fits`, async () => {
      const sixth = await createCa('CN=Quota CA 6');
      fails(
        await server.call('POST', mtlsCertificates(t), { ca: true, certificates: sixth.certPem }),
        400,
        CODE.caQuota,
      );
      assert.equal((await mtlsList(t)).length, 5);
      const leaf = await sixth.issue({ subject: 'CN=leaf under quota' });
      await upload(t, { ca: false, certificates: leaf.certPem, private_key: leaf.keyPem });
      assert.equal((await mtlsList(t)).length, 6);
    });

    test(`DELETE of a CA associated with a hostname → 400 / ${CODE.inUse} naming it; after PUT [] it goes`, async () => {
      const ca = cas[0]!;
      const host = `api.${t.zone}`;
      ok(await server.call('PUT', associations(t), { hostnames: [host], mtls_certificate_id: ca.id }));

      const uses = ok(await server.call<Association[]>('GET', `${mtlsCertificates(t)}/${ca.id}/associations`));
      assert.equal(uses.length, 1);
      const [use] = uses;
      assert.ok(use);
      assert.equal(use.service, 'api_shield');
      assert.equal(typeof use.status, 'string');
      assert.equal(use.hostname, host);
      assert.deepEqual(
        ok(await server.call<Association[]>('GET', `${mtlsCertificates(t)}/${cas[1]!.id}/associations`)),
        [],
      );

      const message = fails(await server.call('DELETE', `${mtlsCertificates(t)}/${ca.id}`), 400, CODE.inUse);
      assert.match(message, new RegExp(host.replaceAll('.', '\\.')));
      ok(await server.call('GET', `${mtlsCertificates(t)}/${ca.id}`));

      ok(await server.call('PUT', associations(t), { hostnames: [], mtls_certificate_id: ca.id }));
      const deleted = ok(await server.call<MtlsCertificate>('DELETE', `${mtlsCertificates(t)}/${ca.id}`));
      assert.equal(deleted.id, ca.id);
      fails(await server.call('GET', `${mtlsCertificates(t)}/${ca.id}`), 404, CODE.notFound);
      assert.equal((await mtlsList(t)).length, 5);
    });

    test('DELETE from an SDK-style client sending `{}` or no body both work', async () => {
      const a = cas[1]!;
      const b = cas[2]!;
      ok(await server.call('DELETE', `${mtlsCertificates(t)}/${a.id}`, {}));
      ok(await server.call('DELETE', `${mtlsCertificates(t)}/${b.id}`));
      assert.equal((await mtlsList(t)).length, 3);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('hostname_associations', () => {
    let t: Tenant;
    let ca: MtlsCertificate;
    let leaf: MtlsCertificate;
    before(async () => {
      t = await tenant('assoc.example.com');
      const root = await createCa('CN=Association Root');
      ca = await upload(t, { ca: true, certificates: root.certPem });
      const issued = await root.issue({ subject: 'CN=assoc leaf' });
      leaf = await upload(t, { ca: false, certificates: issued.certPem, private_key: issued.keyPem });
    });

    const get = async (id?: string): Promise<Hostnames> =>
      ok(
        await server.call<Hostnames>(
          'GET',
          `${associations(t)}${id === undefined ? '' : `?mtls_certificate_id=${id}`}`,
        ),
      );

    test('the managed CA (no mtls_certificate_id): PUT then GET', async () => {
      assert.deepEqual(await get(), { hostnames: [] });
      const hosts = [`mtls.${t.zone}`, `api.${t.zone}`];
      const put = ok(await server.call<Hostnames>('PUT', associations(t), { hostnames: hosts }));
      assert.deepEqual(put, { hostnames: [...hosts].sort() });
      assert.deepEqual(await get(), { hostnames: [...hosts].sort() });
    });

    test('an uploaded CA: echoes mtls_certificate_id; its list is independent of the managed CA', async () => {
      const put = ok(
        await server.call<Hostnames>('PUT', associations(t), {
          hostnames: [`byo.${t.zone}`],
          mtls_certificate_id: ca.id,
        }),
      );
      assert.deepEqual(put, { hostnames: [`byo.${t.zone}`], mtls_certificate_id: ca.id });
      assert.deepEqual(await get(ca.id), { hostnames: [`byo.${t.zone}`], mtls_certificate_id: ca.id });
      assert.deepEqual(await get(), { hostnames: [`api.${t.zone}`, `mtls.${t.zone}`] });
    });

    test(`a hostname outside the zone → 400 / ${CODE.hostnameNotInZone}, nothing changed`, async () => {
      for (const outside of ['api.example.org', `${t.zone}.evil.test`, `x${t.zone}`]) {
        fails(
          await server.call('PUT', associations(t), {
            hostnames: [`ok.${t.zone}`, outside],
            mtls_certificate_id: ca.id,
          }),
          400,
          CODE.hostnameNotInZone,
        );
      }
      assert.deepEqual((await get(ca.id)).hostnames, [`byo.${t.zone}`]);
    });

    test('an unknown mtls_certificate_id → 404; a non-CA certificate → 400', async () => {
      fails(
        await server.call('PUT', associations(t), { hostnames: [`a.${t.zone}`], mtls_certificate_id: randomUUID() }),
        404,
        CODE.notFound,
      );
      fails(await server.call('GET', `${associations(t)}?mtls_certificate_id=${randomUUID()}`), 404, CODE.notFound);
      fails(
        await server.call('PUT', associations(t), { hostnames: [`a.${t.zone}`], mtls_certificate_id: leaf.id }),
        400,
        CODE.validation,
      );
    });

    test('PUT [] clears one list and leaves the other', async () => {
      assert.deepEqual(ok(await server.call<Hostnames>('PUT', associations(t), { hostnames: [] })), { hostnames: [] });
      assert.deepEqual(await get(), { hostnames: [] });
      assert.deepEqual((await get(ca.id)).hostnames, [`byo.${t.zone}`]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('custom_certificates', () => {
    let t: Tenant;
    let serverCa: CaHandle;
    let edge: Issued;
    before(async () => {
      t = await tenant('custom.example.com');
      serverCa = await createCa('CN=Edge Issuer');
      edge = await serverCa.issue({ subject: `CN=www.${t.zone}`, dns: [`www.${t.zone}`], eku: [Eku.serverAuth] });
    });

    const count = async (): Promise<number> =>
      ok(await server.call<CustomCertificate[]>('GET', customCertificates(t))).length;

    test('upload a server certificate and key for a zone hostname; list, get, delete; the key never returns', async () => {
      const response = await server.call<CustomCertificate>('POST', customCertificates(t), {
        certificate: edge.certPem + serverCa.certPem,
        private_key: edge.keyPem,
      });
      const created = ok(response);
      const text = JSON.stringify(response.body);
      assert.ok(!text.includes('PRIVATE KEY') && !text.includes(pemBody(edge.keyPem).slice(0, 40)));
      assert.match(created.id, UUID);
      assert.equal(created.zone_id, t.zoneId);
      assert.deepEqual(created.hosts, [`www.${t.zone}`]);
      assert.equal(created.signature, 'ECDSAWithSHA256');

      const listed = await server.call<CustomCertificate[]>('GET', customCertificates(t));
      assert.deepEqual(ok(listed), [created]);
      assert.ok(!JSON.stringify(listed.body).includes('PRIVATE KEY'));
      assert.deepEqual(ok(await server.call('GET', `${customCertificates(t)}/${created.id}`)), created);
      ok(await server.call('DELETE', `${customCertificates(t)}/${created.id}`));
      fails(await server.call('GET', `${customCertificates(t)}/${created.id}`), 404, CODE.notFound);
      assert.equal(await count(), 0);
    });

    test(`a key that does not match → 400 / ${CODE.uploadInvalid}, nothing stored`, async () => {
      const other = await serverCa.issue({ subject: 'CN=other', dns: [`other.${t.zone}`], eku: [Eku.serverAuth] });
      const response = await server.call('POST', customCertificates(t), {
        certificate: edge.certPem,
        private_key: other.keyPem,
      });
      fails(response, 400, CODE.uploadInvalid);
      assert.ok(!JSON.stringify(response.body).includes(pemBody(other.keyPem).slice(0, 40)));
      assert.equal(await count(), 0);
    });

    test(`a certificate naming no hostname of the zone → 400 / ${CODE.hostnameNotInZone}, nothing stored`, async () => {
      const elsewhere = await serverCa.issue({
        subject: 'CN=www.elsewhere.test',
        dns: ['www.elsewhere.test'],
        eku: [Eku.serverAuth],
      });
      fails(
        await server.call('POST', customCertificates(t), {
          certificate: elsewhere.certPem,
          private_key: elsewhere.keyPem,
        }),
        400,
        CODE.hostnameNotInZone,
      );
      assert.equal(await count(), 0);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('cross-account isolation', () => {
    let a: Tenant;
    let b: Tenant;
    let tokenA: string;
    let bCa: MtlsCertificate;
    let bClient: ClientCertificate;
    let bCustom: CustomCertificate;
    let spareCa: string;
    let spareCsr: string;
    let spareEdge: Issued;

    /** Everything B has, read with the admin token. */
    async function snapshotOfB(): Promise<unknown> {
      return {
        mtls: await mtlsList(b),
        clients: ok(await server.call('GET', `${clientCertificates(b)}?per_page=50`)),
        managed: ok(await server.call('GET', associations(b))),
        byo: ok(await server.call('GET', `${associations(b)}?mtls_certificate_id=${bCa.id}`)),
        custom: ok(await server.call('GET', customCertificates(b))),
      };
    }

    before(async () => {
      a = await tenant('alpha.example.com');
      b = await tenant('bravo.example.com');
      tokenA = await createToken(server, 'edit', { account_id: a.accountId });
      const root = await createCa('CN=Bravo Root');
      bCa = await upload(b, { ca: true, certificates: root.certPem });
      bClient = await issue(b, 'p256', '/CN=bravo-device');
      ok(await server.call('PUT', associations(b), { hostnames: [`api.${b.zone}`], mtls_certificate_id: bCa.id }));
      ok(await server.call('PUT', associations(b), { hostnames: [`mtls.${b.zone}`] }));
      const edge = await root.issue({ subject: 'CN=www', dns: [`www.${b.zone}`], eku: [Eku.serverAuth] });
      bCustom = ok(
        await server.call<CustomCertificate>('POST', customCertificates(b), {
          certificate: edge.certPem,
          private_key: edge.keyPem,
        }),
      );
      spareCa = (await createCa('CN=Intruder Root')).certPem;
      spareCsr = openssl.csr('p256', '/CN=intruder').csrPem;
      spareEdge = await root.issue({ subject: 'CN=www2', dns: [`www2.${b.zone}`], eku: [Eku.serverAuth] });
    });

    const onB = (): [method: string, route: string, body?: unknown][] => [
      ['GET', mtlsCertificates(b)],
      ['GET', `${mtlsCertificates(b)}/${bCa.id}`],
      ['POST', mtlsCertificates(b), { ca: true, certificates: spareCa }],
      ['DELETE', `${mtlsCertificates(b)}/${bCa.id}`],
      ['GET', `${mtlsCertificates(b)}/${bCa.id}/associations`],
      ['GET', clientCertificates(b)],
      ['GET', `${clientCertificates(b)}/${bClient.id}`],
      ['POST', clientCertificates(b), { csr: spareCsr, validity_days: 30 }],
      ['DELETE', `${clientCertificates(b)}/${bClient.id}`],
      ['PATCH', `${clientCertificates(b)}/${bClient.id}`, { reactivate: true }],
      ['GET', associations(b)],
      ['GET', `${associations(b)}?mtls_certificate_id=${bCa.id}`],
      ['PUT', associations(b), { hostnames: [] }],
      ['PUT', associations(b), { hostnames: [], mtls_certificate_id: bCa.id }],
      ['GET', customCertificates(b)],
      ['GET', `${customCertificates(b)}/${bCustom.id}`],
      ['POST', customCertificates(b), { certificate: spareEdge.certPem, private_key: spareEdge.keyPem }],
      ['DELETE', `${customCertificates(b)}/${bCustom.id}`],
    ];

    test(`a token of account A gets 403 / ${CODE.forbidden} on every certificate resource of B; B is unchanged`, async () => {
      const before = await snapshotOfB();
      for (const [method, route, body] of onB()) {
        const response = await server.call(method, route, body, tokenA);
        assert.equal(response.status, 403, `${method} ${route}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.errors[0]?.code, CODE.forbidden, `${method} ${route}`);
      }
      assert.deepEqual(await snapshotOfB(), before);
    });

    test("B's objects cannot be reached through A's own paths either (404), B unchanged", async () => {
      const before = await snapshotOfB();
      const attempts: [string, string, unknown?][] = [
        ['GET', `${mtlsCertificates(a)}/${bCa.id}`],
        ['DELETE', `${mtlsCertificates(a)}/${bCa.id}`],
        ['GET', `${mtlsCertificates(a)}/${bCa.id}/associations`],
        ['GET', `${clientCertificates(a)}/${bClient.id}`],
        ['DELETE', `${clientCertificates(a)}/${bClient.id}`],
        ['PATCH', `${clientCertificates(a)}/${bClient.id}`, { reactivate: true }],
        ['GET', `${customCertificates(a)}/${bCustom.id}`],
        ['DELETE', `${customCertificates(a)}/${bCustom.id}`],
        ['GET', `${associations(a)}?mtls_certificate_id=${bCa.id}`],
        ['PUT', associations(a), { hostnames: [`api.${a.zone}`], mtls_certificate_id: bCa.id }],
      ];
      for (const [method, route, body] of attempts) {
        const response = await server.call(method, route, body, tokenA);
        assert.equal(response.status, 404, `${method} ${route}: ${JSON.stringify(response.body)}`);
      }
      assert.deepEqual(ok(await server.call<MtlsCertificate[]>('GET', mtlsCertificates(a), undefined, tokenA)), []);
      assert.deepEqual(await snapshotOfB(), before);
    });

    test('a zone-scoped read token reads its zone but cannot change it (403)', async () => {
      const readB = await createToken(server, 'read', { zone_id: b.zoneId });
      const before = await snapshotOfB();
      ok(await server.call('GET', clientCertificates(b), undefined, readB));
      ok(await server.call('GET', associations(b), undefined, readB));
      ok(await server.call('GET', customCertificates(b), undefined, readB));
      const writes: [string, string, unknown?][] = [
        ['POST', clientCertificates(b), { csr: spareCsr, validity_days: 30 }],
        ['DELETE', `${clientCertificates(b)}/${bClient.id}`],
        ['PATCH', `${clientCertificates(b)}/${bClient.id}`, { reactivate: true }],
        ['PUT', associations(b), { hostnames: [] }],
        ['POST', customCertificates(b), { certificate: spareEdge.certPem, private_key: spareEdge.keyPem }],
        ['DELETE', `${customCertificates(b)}/${bCustom.id}`],
        ['POST', mtlsCertificates(b), { ca: true, certificates: spareCa }],
      ];
      for (const [method, route, body] of writes) {
        const response = await server.call(method, route, body, readB);
        assert.equal(response.status, 403, `${method} ${route}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.errors[0]?.code, CODE.forbidden);
      }
      assert.deepEqual(await snapshotOfB(), before);
    });

    test('no token → 401 on the certificate endpoints', async () => {
      for (const [method, route, body] of onB().slice(0, 8)) {
        assert.equal((await server.call(method, route, body, null)).status, 401, `${method} ${route}`);
      }
    });
  });

  // -------------------------------------------------------------------------------------------
  // Concurrent requests must end as some serial order of them would (the SDK, Terraform and CI
  // jobs do run requests in parallel).
  describe('concurrent requests', () => {
    test('10 concurrent CA uploads into one account: exactly 5 succeed, the rest get 1489', async () => {
      const t = await tenant('race-quota.example.com');
      const roots = await Promise.all(Array.from({ length: 10 }, (_, i) => createCa(`CN=Race CA ${i}`)));
      const answers = await Promise.all(
        roots.map((root) => server.call('POST', mtlsCertificates(t), { ca: true, certificates: root.certPem })),
      );
      const statuses = answers.map((answer) => answer.status);
      assert.equal((await mtlsList(t)).length, 5, `stored more CAs than the quota; statuses ${statuses.join(',')}`);
      assert.equal(statuses.filter((status) => status === 200).length, 5, statuses.join(','));
      for (const answer of answers.filter((a) => a.status !== 200))
        assert.equal(answer.body.errors[0]?.code, CODE.caQuota);
    });

    test('8 concurrent first certificates of an account share one managed CA', async () => {
      const t = await tenant('race-managed.example.com');
      const csrs = Array.from({ length: 8 }, (_, i) => openssl.csr('p256', `/CN=first-${i}`).csrPem);
      const answers = await Promise.all(
        csrs.map((csr) => server.call<ClientCertificate>('POST', clientCertificates(t), { csr, validity_days: 5 })),
      );
      const certs = answers.map(ok);
      assert.equal(new Set(certs.map((cert) => cert.certificate_authority.id)).size, 1);
    });

    test('DELETE of a CA racing a PUT that associates it: never both succeed (no dangling association)', async () => {
      const t = await tenant('race-delete.example.com');
      const outcomes: string[] = [];
      for (let round = 0; round < 8; round++) {
        const ca = await upload(t, { ca: true, certificates: (await createCa(`CN=Race Delete ${round}`)).certPem });
        const [put, del] = await Promise.all([
          server.call('PUT', associations(t), { hostnames: [`api.${t.zone}`], mtls_certificate_id: ca.id }),
          server.call('DELETE', `${mtlsCertificates(t)}/${ca.id}`),
        ]);
        outcomes.push(`PUT ${put.status} DELETE ${del.status}`);
        if ((await server.call('GET', `${mtlsCertificates(t)}/${ca.id}`)).status === 200) {
          ok(await server.call('PUT', associations(t), { hostnames: [], mtls_certificate_id: ca.id }));
          ok(await server.call('DELETE', `${mtlsCertificates(t)}/${ca.id}`));
        }
      }
      assert.ok(!outcomes.includes('PUT 200 DELETE 200'), outcomes.join('; '));
    });
  });

  // -------------------------------------------------------------------------------------------
  test('GET /client/v4/openapi.json without a token: an OpenAPI 3 document with the certificate paths', async () => {
    const response = await fetch(`${server.baseUrl}/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    assert.match(document.openapi, /^3\./);
    for (const path of [
      '/zones/{zone_id}/client_certificates',
      '/zones/{zone_id}/client_certificates/{client_certificate_id}',
      '/accounts/{account_id}/mtls_certificates',
      '/accounts/{account_id}/mtls_certificates/{mtls_certificate_id}',
      '/accounts/{account_id}/mtls_certificates/{mtls_certificate_id}/associations',
      '/zones/{zone_id}/certificate_authorities/hostname_associations',
    ]) {
      assert.ok(document.paths[path] !== undefined, `${path} is missing`);
    }
    const createPaths = document.paths['/zones/{zone_id}/client_certificates'];
    assert.ok(JSON.stringify(createPaths?.post?.requestBody).includes('validity_days'));
    assert.deepEqual(
      Object.keys(document.paths['/zones/{zone_id}/client_certificates/{client_certificate_id}'] ?? {}).sort(),
      ['delete', 'get', 'patch'],
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Targets.

describeOnBothStores('certificate management API', 'certificates', defineSuite);
