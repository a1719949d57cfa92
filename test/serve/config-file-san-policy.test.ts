/**
 * `serve --config` with `zones[].san_policy` (docs/reference/config-file.md): the file's policy is
 * applied before the gateway listens and bites on issuance (a CSR with a SAN the policy refuses is
 * refused, one it allows is certified with its SANs); a re-apply keeps it;
 * `san_policy: default` goes back to the zone's default; a zone without the key keeps what the API
 * set; a malformed policy is refused at its line and changes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { needsOpenssl, OpensslWorkdir } from '../helpers/openssl.ts';
import { fails, ok } from '../helpers/v4-assertions.ts';

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
const SAN_NOT_ALLOWED = 12270;

interface PolicyView {
  dns_domains: string[];
  uri_prefixes: string[];
  ip_addresses: boolean;
  is_default: boolean;
}

const configText = (sanPolicy: string, otherZone = ''): string => `accounts:
  - name: fleet
    zones:
      - name: fleet.test
${sanPolicy}
      - name: other.test
${otherZone}`;

const NARROW = `        san_policy:
          dns_domains: [devices.fleet.test]
          uri_prefixes: ["spiffe://fleet.test/devices/"]
`;

describe('serve --config: a zone SAN policy from portcullis.yaml', needsOpenssl, () => {
  let server: AdminServer;
  let work: OpensslWorkdir;
  let configFile: string;
  let zoneId: string;
  let otherZoneId: string;
  let count = 0;

  const csrWith = (san: string): string =>
    work.newCsr(`csr${++count}`, P256, '/CN=device-7', '-addext', `subjectAltName=${san}`);
  const issue = (zone: string, csr: string) =>
    server.call('POST', `/zones/${zone}/client_certificates`, { csr, validity_days: 30 });
  const policyOf = async (zone: string): Promise<PolicyView> =>
    ok(await server.call<{ value: PolicyView }>('GET', `/zones/${zone}/settings/client_certificate_san_policy`)).value;

  before(async () => {
    work = new OpensslWorkdir();
    configFile = path.join(work.dir, 'portcullis.yaml');
    await writeFile(configFile, configText(NARROW));
    server = await startAdminServer(undefined, undefined, { flags: { config: configFile } });
    const zones = ok(await server.call<{ id: string; name: string }[]>('GET', '/zones'));
    zoneId = zones.find((zone) => zone.name === 'fleet.test')?.id ?? '';
    otherZoneId = zones.find((zone) => zone.name === 'other.test')?.id ?? '';
    assert.ok(zoneId !== '' && otherZoneId !== '');
  });

  after(async () => {
    await server.stop();
    work.remove();
  });

  test("the file's policy is in force: a SAN it refuses is refused, one it allows is certified", async () => {
    const policy = await policyOf(zoneId);
    assert.deepEqual(
      [policy.dns_domains, policy.uri_prefixes, policy.is_default],
      [['devices.fleet.test'], ['spiffe://fleet.test/devices/'], false],
    );
    // Under the zone, so the default policy would allow it: the file's narrower one does not.
    const refused = fails(await issue(zoneId, csrWith('DNS:gateway.fleet.test')), 400, SAN_NOT_ALLOWED);
    assert.match(refused, /gateway\.fleet\.test/);
    fails(await issue(zoneId, csrWith('URI:spiffe://fleet.test/admins/1')), 400, SAN_NOT_ALLOWED);
    const issued = ok(await issue(zoneId, csrWith('DNS:d7.devices.fleet.test,URI:spiffe://fleet.test/devices/7'))) as {
      certificate: string;
    };
    work.write('issued.pem', issued.certificate);
    const sans = work.run(['x509', '-in', 'issued.pem', '-noout', '-ext', 'subjectAltName']);
    assert.match(sans, /DNS:d7\.devices\.fleet\.test, URI:spiffe:\/\/fleet\.test\/devices\/7/);
  });

  test('a zone without the key keeps the policy the API set across a re-apply', async () => {
    ok(
      await server.call('PATCH', `/zones/${otherZoneId}/settings/client_certificate_san_policy`, {
        value: { dns_domains: ['*'] },
      }),
    );
    await server.running.reload();
    assert.deepEqual((await policyOf(otherZoneId)).dns_domains, ['*']);
    assert.deepEqual((await policyOf(zoneId)).dns_domains, ['devices.fleet.test']);
  });

  test('a malformed policy is refused at its line and changes nothing', async () => {
    await writeFile(
      configFile,
      configText(`        san_policy:
          dns_domains: [devices.fleet.test]
          uri_prefixes: ["spiffe://fleet.test"]
`),
    );
    await assert.rejects(server.running.reload(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'GW_ERR_CONFIG_INVALID');
      assert.match(error.message, /zones\[0\]\.san_policy\.uri_prefixes.*must end in \/ or :/);
      return true;
    });
    await writeFile(configFile, configText('        san_policy: { dns: [x] }\n'));
    await assert.rejects(server.running.reload(), /unknown key "dns"/);
    assert.deepEqual((await policyOf(zoneId)).uri_prefixes, ['spiffe://fleet.test/devices/']);
  });

  test('san_policy: default goes back to the default of the zone name', async () => {
    await writeFile(configFile, configText('        san_policy: default\n'));
    await server.running.reload();
    assert.equal((await policyOf(zoneId)).is_default, true);
    ok(await issue(zoneId, csrWith('DNS:gateway.fleet.test')));
  });
});
