/**
 * `serve --config` with an `est:` part (docs/reference/config-file.md): the enrollment profile and
 * its bootstrap secrets (from a file and from an environment variable) are applied at start; a
 * device enrolls with the secret under its stable id; SIGHUP with the same file writes nothing and
 * keeps the uses spent; SIGHUP with a changed file updates the profile in place, replaces the
 * changed secret (the old one refused, the new one accepted, same id), drops the removed one; a
 * weak secret is refused and changes nothing. No secret reaches the log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnCli, waitForLog } from '../helpers/cli.ts';
import { request } from '../helpers/https-client.ts';
import { generateKeyAndCsr } from '../../src/pki/key-and-csr.ts';
import { secretId } from '../../src/control/config-file/est-plan.ts';

const HOST = 'devices.est.test';
const FILE_SECRET = 'file-secret-0123456789abcdef';
const ENV_SECRET = 'env-secret-0123456789abcdef';
const NEW_FILE_SECRET = 'rotated-secret-0123456789abcdef';

function configText(options: { validityDays: number; envSecret: boolean }): string {
  return `accounts:
  - name: fleet
    zones:
      - name: est.test
        mtls:
          - ca: managed
            hostnames: [${HOST}]
        est:
          profiles:
            - hostnames: [${HOST}]
              validity_days: ${options.validityDays}
              tags: [fleet-a]
              secrets:
                - name: batch-1
                  secret_file: ./batch-1.secret
                  max_uses: 3
${options.envSecret ? '                - name: batch-2\n                  secret_env: EST_BATCH_2\n' : ''}`;
}

describe('serve --config: EST profiles and bootstrap secrets', () => {
  let work: string;
  let dataDir: string;
  let configFile: string;
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let admin: string;
  let gatewayPort: number;
  let log = '';

  const api = async <T = any>(route: string): Promise<T> => {
    const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
    const response = await fetch(`${admin}${route}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { result: T };
    assert.equal(response.status, 200, JSON.stringify(body));
    return body.result;
  };

  const enroll = async (user: string, password: string, commonName: string): Promise<number> => {
    const { csrPem } = await generateKeyAndCsr(commonName);
    const reply = await request({
      port: gatewayPort,
      ca: await readFile(path.join(dataDir, 'edge-ca.pem'), 'utf8'),
      servername: HOST,
      method: 'POST',
      path: '/.well-known/est/simpleenroll',
      headers: {
        host: HOST,
        'content-type': 'application/pkcs10',
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      },
      body: csrPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''),
    });
    return reply.status;
  };

  const hangup = async (text: string, answer: string): Promise<Record<string, unknown>> => {
    await writeFile(configFile, text);
    const logged = waitForLog(child, answer);
    child.kill('SIGHUP');
    return logged;
  };

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'portcullis-config-est-'));
    dataDir = path.join(work, 'data');
    configFile = path.join(work, 'etc', 'portcullis.yaml');
    await mkdir(path.dirname(configFile));
    await writeFile(path.join(work, 'etc', 'batch-1.secret'), `${FILE_SECRET}\n`);
    await writeFile(configFile, configText({ validityDays: 30, envSecret: true }));
  });

  after(async () => {
    child.kill('SIGKILL');
    await rm(work, { recursive: true, force: true });
  });

  test('start applies the profile and both secrets; a device enrolls with the id the file implies', async () => {
    child = spawnCli(
      [
        'serve',
        '--data-dir',
        dataDir,
        '--admin-listen',
        '127.0.0.1:0',
        '--listen',
        '127.0.0.1:0',
        '--config',
        configFile,
      ],
      { EST_BATCH_2: ENV_SECRET },
    );
    child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    exited = new Promise((resolve) => child.on('close', resolve));
    const [applied, listening] = await Promise.all([
      waitForLog(child, 'config applied'),
      waitForLog(child, 'listening'),
    ]);
    admin = String(listening.admin);
    gatewayPort = Number(String(listening.address).split(':').pop());
    assert.ok(Number(applied.writes) > 0);

    const [zone] = await api<{ id: string }[]>('/zones?name=est.test');
    const [profile, ...others] = await api<{ id: string; tags: string[]; validity_days: number }[]>(
      `/zones/${zone!.id}/est/profiles`,
    );
    assert.deepEqual(others, []);
    assert.deepEqual(profile?.tags, ['fleet-a']);
    assert.equal(profile.validity_days, 30);
    const secrets = await api<{ id: string; name: string; max_uses: number; uses: number }[]>(
      `/zones/${zone!.id}/est/profiles/${profile.id}/bootstrap_secrets`,
    );
    const byName = new Map(secrets.map((secret) => [secret.name, secret]));
    assert.equal(byName.get('batch-1')?.id, secretId(zone!.id, '', 'batch-1'));
    assert.equal(byName.get('batch-1')?.max_uses, 3);
    assert.equal(byName.get('batch-2')?.id, secretId(zone!.id, '', 'batch-2'));

    assert.equal(await enroll(secretId(zone!.id, '', 'batch-1'), FILE_SECRET, 'dev-1'), 200);
    assert.equal(await enroll(secretId(zone!.id, '', 'batch-2'), ENV_SECRET, 'dev-2'), 200);
    assert.equal(
      await enroll(secretId(zone!.id, '', 'batch-1'), ENV_SECRET, 'dev-3'),
      401,
      'each id has its own secret',
    );
  });

  test('SIGHUP with the same file writes nothing and keeps the uses spent', async () => {
    const applied = await hangup(configText({ validityDays: 30, envSecret: true }), 'config applied');
    assert.equal(applied.writes, 0);
    const [zone] = await api<{ id: string }[]>('/zones?name=est.test');
    const [profile] = await api<{ id: string }[]>(`/zones/${zone!.id}/est/profiles`);
    const secrets = await api<{ name: string; uses: number }[]>(
      `/zones/${zone!.id}/est/profiles/${profile!.id}/bootstrap_secrets`,
    );
    assert.equal(secrets.find((secret) => secret.name === 'batch-1')?.uses, 1);
  });

  test('SIGHUP with a changed file: profile updated in place, the rotated secret replaces the old under the same id, the dropped one is gone', async () => {
    const [zone] = await api<{ id: string }[]>('/zones?name=est.test');
    const [before] = await api<{ id: string }[]>(`/zones/${zone!.id}/est/profiles`);
    await writeFile(path.join(work, 'etc', 'batch-1.secret'), NEW_FILE_SECRET);
    const applied = await hangup(configText({ validityDays: 60, envSecret: false }), 'config applied');
    assert.ok(Number(applied.writes) >= 3, JSON.stringify(applied));
    const [updated, ...others] = await api<{ id: string; validity_days: number }[]>(`/zones/${zone!.id}/est/profiles`);
    assert.deepEqual(others, []);
    assert.ok(updated !== undefined);
    assert.equal(updated.id, before?.id, 'the same profile, updated');
    assert.equal(updated.validity_days, 60);
    const secrets = await api<{ id: string; name: string }[]>(
      `/zones/${zone!.id}/est/profiles/${updated.id}/bootstrap_secrets`,
    );
    assert.deepEqual(
      secrets.map((secret) => [secret.name, secret.id]),
      [['batch-1', secretId(zone!.id, '', 'batch-1')]],
    );
    const user = secretId(zone!.id, '', 'batch-1');
    assert.equal(await enroll(user, FILE_SECRET, 'dev-4'), 401, 'the old secret is refused');
    assert.equal(await enroll(user, NEW_FILE_SECRET, 'dev-5'), 200);
    assert.equal(
      await enroll(secretId(zone!.id, '', 'batch-2'), ENV_SECRET, 'dev-6'),
      401,
      'the dropped secret is refused',
    );
  });

  test('a weak secret is refused at the line that names it, and nothing changes; no secret was logged', async () => {
    await writeFile(path.join(work, 'etc', 'batch-1.secret'), 'short');
    const refused = await hangup(
      configText({ validityDays: 90, envSecret: false }),
      'config not applied: the running configuration is kept',
    );
    assert.equal(refused.code, 'GW_ERR_CONFIG_INVALID');
    assert.match(String(refused.err), /secret_file \(line \d+\): the secret must be 16 to 512 printable ASCII/);
    const [zone] = await api<{ id: string }[]>('/zones?name=est.test');
    const [profile] = await api<{ validity_days: number }[]>(`/zones/${zone!.id}/est/profiles`);
    assert.equal(profile?.validity_days, 60);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    for (const secret of [FILE_SECRET, ENV_SECRET, NEW_FILE_SECRET, 'short"']) assert.ok(!log.includes(secret), secret);
  });
});
