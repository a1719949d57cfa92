/**
 * Revocation of an uploaded CA declared in `portcullis.yaml` (`cas[].revocation`, the account's
 * `blocked_certificates`), applied by a real `portcullis serve --config` (in-process) and enforced
 * on real TLS requests: a CRL file, a block list by file and by serial, settings; a second apply of
 * the same file writes nothing; a reload with a newer CRL and another list applies them; a stale CRL
 * refuses the whole file and changes nothing.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { createCa, type CaHandle, type Issued } from '../helpers/pki.ts';
import { startHttp1Echo, type RunningUpstream } from '../helpers/upstreams.ts';
import { callAs, mustSucceed } from '../helpers/uploaded-ca.ts';

const HOST = 'devices.yaml.test';

function configText(upstream: string, revocation: string, accountBlocks = ''): string {
  return `accounts:
  - name: fleet-operator
    cas:
      - name: fleet-ca
        file: ./fleet-ca.pem
${revocation}${accountBlocks}    zones:
      - name: yaml.test
        mtls:
          - ca: fleet-ca
            hostnames: [${HOST}]
        routes:
          - hostname: ${HOST}
            upstream: ${upstream}
        mtls_rule: [${HOST}]
`;
}

describe('serve --config: cas[].revocation and blocked_certificates', () => {
  let work: string;
  let configFile: string;
  let upstream: RunningUpstream;
  let server: AdminServer;
  let ca: CaHandle;
  let listed: Issued;
  let lost: Issued;
  let bySerial: Issued;
  let fine: Issued;
  let accountId: string;
  let caId: string;
  /** The `config applied` log lines, in order. */
  const applied: { writes: number; changes: Record<string, number> }[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) {
          if (line.includes('"config applied"')) applied.push(JSON.parse(line) as (typeof applied)[number]);
        }
        done();
      },
    }),
  );

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'portcullis-config-revocation-'));
    configFile = path.join(work, 'portcullis.yaml');
    upstream = await startHttp1Echo();
    ca = await createCa('CN=YAML Fleet CA');
    listed = await ca.issue({ subject: 'CN=in the CRL' });
    lost = await ca.issue({ subject: 'CN=lost' });
    bySerial = await ca.issue({ subject: 'CN=by serial' });
    fine = await ca.issue({ subject: 'CN=fine' });
    await writeFile(path.join(work, 'fleet-ca.pem'), ca.certPem);
    await writeFile(path.join(work, 'fleet-1.crl'), await ca.crl([listed.serialHex], { crlNumber: 1 }));
    await writeFile(path.join(work, 'lost.pem'), lost.certPem);
    await writeFile(
      configFile,
      configText(
        upstream.url,
        `        revocation:
          crl: ./fleet-1.crl
          on_unavailable: fail_open
          ocsp: { timeout_ms: 1500 }
          blocked:
            - file: ./lost.pem
              description: reported lost
`,
      ),
    );
    server = await startAdminServer(undefined, undefined, { flags: { config: configFile }, logger });
    const accounts = await mustSucceed<{ id: string; name: string }[]>(server, 'GET', '/accounts');
    accountId = accounts.find((account) => account.name === 'fleet-operator')?.id ?? '';
    const cas = await mustSucceed<{ id: string }[]>(server, 'GET', `/accounts/${accountId}/mtls_certificates`);
    caId = cas[0]?.id ?? '';
  });

  after(async () => {
    await server.stop();
    await upstream.close();
    await rm(work, { recursive: true, force: true });
  });

  test('the file at start: CRL in force, blocked file refused, settings as written', async () => {
    assert.equal((await callAs(server, HOST, listed)).status, 403, 'in the CRL');
    assert.equal((await callAs(server, HOST, lost)).status, 403, 'blocked by its file');
    assert.equal((await callAs(server, HOST, fine)).status, 200);
    const revocation = await mustSucceed(server, 'GET', `/accounts/${accountId}/mtls_certificates/${caId}/revocation`);
    assert.equal(revocation.on_unavailable, 'fail_open');
    assert.deepEqual(revocation.ocsp, { enabled: true, timeout_ms: 1500, nonce: false, max_cache_seconds: 3600 });
    assert.equal(revocation.crl_fetch.enabled, false);
    assert.equal(revocation.crls[0].crl_number, '1');
    const blocks = await mustSucceed(
      server,
      'GET',
      `/accounts/${accountId}/mtls_certificates/${caId}/blocked_certificates`,
    );
    assert.deepEqual(
      blocks.map((block: { sha256: string; description: string }) => [block.sha256, block.description]),
      [[lost.sha256, 'reported lost']],
    );
  });

  test('a reload with the same file writes nothing; a newer CRL and another list are applied', async () => {
    assert.deepEqual(applied[0]?.changes, {
      account: 1,
      ca: 1,
      ca_revocation: 1,
      crl: 1,
      blocked_certificates: 1,
      zone: 1,
      mtls: 1,
      routes: 1,
      rules: 1,
    });
    await server.running.reload();
    assert.equal(applied[1]?.writes, 0, 'nothing rewritten (same CRL, same settings, same list)');

    await writeFile(path.join(work, 'fleet-2.crl'), await ca.crl([], { crlNumber: 2 }));
    await writeFile(
      configFile,
      configText(
        upstream.url,
        `        revocation:
          crl: ./fleet-2.crl
          blocked:
            - serial: '${bySerial.serialHex}'
`,
        `    blocked_certificates:
      - sha256: '${fine.sha256}'
`,
      ),
    );
    await server.running.reload();
    assert.deepEqual(applied[2]?.changes, { ca_revocation: 1, crl: 1, blocked_certificates: 2 });
    assert.equal((await callAs(server, HOST, listed)).status, 200, 'no longer in the (newer) CRL');
    assert.equal((await callAs(server, HOST, lost)).status, 200, 'no longer in the list');
    assert.equal((await callAs(server, HOST, bySerial)).status, 403, 'blocked by serial');
    assert.equal((await callAs(server, HOST, fine)).status, 403, "blocked by the account's list");
    const revocation = await mustSucceed(server, 'GET', `/accounts/${accountId}/mtls_certificates/${caId}/revocation`);
    assert.equal(revocation.on_unavailable, 'fail_closed', 'a key left out is its default');
    assert.equal(revocation.ocsp.enabled, false);
  });

  test('a stale CRL refuses the whole file, naming the key and line; nothing changes', async () => {
    await writeFile(
      path.join(work, 'stale.crl'),
      await ca.crl([], {
        crlNumber: 3,
        thisUpdate: new Date(Date.now() - 7_200_000),
        nextUpdate: new Date(Date.now() - 1000),
      }),
    );
    await writeFile(
      configFile,
      configText(
        upstream.url,
        `        revocation:
          crl: ./stale.crl
`,
      ),
    );
    await assert.rejects(server.running.reload(), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'GW_ERR_CONFIG_INVALID');
      assert.match(error.message, /accounts\[0\]\.cas\[0\]\.revocation\.crl \(line 7\): The CRL is stale/);
      return true;
    });
    assert.equal((await callAs(server, HOST, bySerial)).status, 403, 'the previous list is still in force');
    const [crl] = await mustSucceed(server, 'GET', `/accounts/${accountId}/mtls_certificates/${caId}/crl`);
    assert.equal(crl.crl_number, '2');
  });
});
