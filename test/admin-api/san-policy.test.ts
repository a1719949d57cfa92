/**
 * SANs from CSRs through the management API of a running `portcullis serve` (SQLite): the zone's default SAN
 * policy, a policy set with PATCH …/settings/client_certificate_san_policy and reset with DELETE, issuance that
 * certifies the allowed names (read back by `openssl x509`) and refuses the others naming each, nothing written
 * for a refused request, and a tenant unable to read or change another tenant's policy. CSRs made by openssl.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, createToken, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { needsOpenssl, OpensslWorkdir } from '../helpers/openssl.ts';
import { fails, ok } from '../helpers/v4-assertions.ts';

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
const POLICY = (zoneId: string): string => `/zones/${zoneId}/settings/client_certificate_san_policy`;

interface PolicyView {
  dns_domains: string[];
  email_domains: string[];
  uri_prefixes: string[];
  ip_addresses: boolean;
  is_default: boolean;
}

describe('SAN policy of a zone, through the API', needsOpenssl, () => {
  let server: AdminServer;
  let work: OpensslWorkdir;
  let zoneId: string;
  let count = 0;
  const csrWith = (san: string, subject = '/CN=device-42'): string =>
    work.newCsr(`csr${++count}`, P256, subject, '-addext', `subjectAltName=${san}`);
  const issue = (csr: string) =>
    server.call('POST', `/zones/${zoneId}/client_certificates`, { csr, validity_days: 30 });
  const sansOf = (pem: string): string => {
    work.write('cert.pem', pem);
    return work.run(['x509', '-in', 'cert.pem', '-noout', '-ext', 'subjectAltName']);
  };
  const certificateCount = async (): Promise<number> =>
    ok(await server.call<unknown[]>('GET', `/zones/${zoneId}/client_certificates`)).length;

  before(async () => {
    work = new OpensslWorkdir();
    server = await startAdminServer();
    ({ zoneId } = await createTenant(server, 'fleet.example'));
  });
  after(async () => {
    await server.stop();
    work.remove();
  });

  test('a zone starts with the default of its name', async () => {
    const value = ok(await server.call<{ id: string; value: PolicyView }>('GET', POLICY(zoneId))).value;
    assert.deepEqual(value, {
      dns_domains: ['fleet.example'],
      email_domains: ['fleet.example'],
      uri_prefixes: ['spiffe://fleet.example/'],
      ip_addresses: false,
      is_default: true,
    });
  });

  test('the default certifies DNS, email and SPIFFE names inside the zone', async () => {
    const issued = ok(
      await issue(csrWith('DNS:d42.fleet.example,email:ops@fleet.example,URI:spiffe://fleet.example/device/42')),
    );
    assert.match(
      sansOf(issued.certificate),
      /DNS:d42\.fleet\.example, email:ops@fleet\.example, URI:spiffe:\/\/fleet\.example\/device\/42/,
    );
  });

  test('names the policy does not allow are refused, each named, and nothing is issued', async () => {
    const before = await certificateCount();
    const message = fails(
      await issue(csrWith('DNS:d42.fleet.example,DNS:bank.example,IP:192.0.2.1,URI:spiffe://other/x')),
      400,
      12270,
    );
    assert.match(message, /DNS:bank\.example \(not under fleet\.example\)/);
    assert.match(message, /IP:192\.0\.2\.1 \(the zone allows no IP addresses\)/);
    assert.match(message, /URI:spiffe:\/\/other\/x/);
    assert.doesNotMatch(message, /d42/);
    assert.equal(await certificateCount(), before);
  });

  test('a policy set by PATCH is used for the next issue, and DELETE goes back to the default', async () => {
    const set = ok(
      await server.call<{ value: PolicyView }>('PATCH', POLICY(zoneId), {
        value: { dns_domains: ['*'], uri_prefixes: ['spiffe://'], ip_addresses: true },
      }),
    ).value;
    assert.deepEqual(set, {
      dns_domains: ['*'],
      email_domains: [],
      uri_prefixes: ['spiffe://'],
      ip_addresses: true,
      is_default: false,
    });
    const issued = ok(await issue(csrWith('DNS:bank.example,IP:192.0.2.1,URI:spiffe://other/x')));
    assert.match(sansOf(issued.certificate), /DNS:bank\.example, IP Address:192\.0\.2\.1, URI:spiffe:\/\/other\/x/);
    fails(await issue(csrWith('email:ops@fleet.example')), 400, 12270);

    assert.equal(ok(await server.call<{ value: PolicyView }>('DELETE', POLICY(zoneId))).value.is_default, true);
    fails(await issue(csrWith('DNS:bank.example')), 400, 12270);
  });

  test('a malformed policy is refused with the reason, and the policy in force is unchanged', async () => {
    const message = fails(
      await server.call('PATCH', POLICY(zoneId), { value: { uri_prefixes: ['spiffe://fleet.example'] } }),
      400,
      12101,
    );
    assert.match(message, /must end in \/ or :/);
    fails(await server.call('PATCH', POLICY(zoneId), { value: { dns: ['x'] } }), 400, 12101);
    assert.equal(ok(await server.call<{ value: PolicyView }>('GET', POLICY(zoneId))).value.is_default, true);
  });

  test("another tenant can neither read nor change this zone's policy", async () => {
    const other = await createTenant(server, 'other.example');
    const token = await createToken(server, 'edit', { account_id: other.accountId });
    assert.notEqual((await server.call('GET', POLICY(zoneId), undefined, token)).status, 200);
    const patched = await server.call('PATCH', POLICY(zoneId), { value: { dns_domains: ['*'] } }, token);
    assert.notEqual(patched.status, 200);
    assert.equal(ok(await server.call<{ value: PolicyView }>('GET', POLICY(zoneId))).value.is_default, true);
  });
});
