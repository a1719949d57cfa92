/**
 * `serve` listening beyond loopback without `--public-url` writes `https://localhost:<port>` into certificates
 * as their CRL and OCSP URLs: it warns at start (log, warn level, GW_ERR_PUBLIC_URL_LOOPBACK) and in the
 * `messages` of every issue answer, and not once the public URL is set. `--listen 0.0.0.0` is used only inside
 * a private network namespace (`unshare -rn`: nothing but its own loopback), skipped where none can be made.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createTenant, startAdminServer } from '../helpers/admin-server.ts';
import { generateKeyAndCsr } from '../../src/pki/key-and-csr.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCENARIO = path.join(ROOT, 'test/helpers/public-url-scenario.ts');
const WARNING_CODE = 12271;

function privateNetworkAvailable(): boolean {
  try {
    execFileSync('unshare', ['-rn', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
const needsNamespace = {
  skip: privateNetworkAvailable() ? false : 'cannot make a network namespace (unshare -rn, ip)',
};

interface Outcome {
  warnings: { level: number; code?: string; msg: string; publicUrl?: string }[];
  status: number;
  messages: { code: number; message: string }[];
  certificate: string;
}

function runScenario(publicUrl?: string): Outcome {
  const result = spawnSync(
    'unshare',
    [
      '-rn',
      'sh',
      '-c',
      'ip link set lo up && exec "$0" --import tsx "$@"',
      process.execPath,
      SCENARIO,
      ...(publicUrl === undefined ? [] : [publicUrl]),
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Outcome;
}

describe('revocation URLs that name localhost', () => {
  test('listening on 0.0.0.0 without --public-url: warned at start and in the issue answer', needsNamespace, () => {
    const outcome = runScenario();
    const atStart = outcome.warnings.filter((line) => line.code === 'GW_ERR_PUBLIC_URL_LOOPBACK');
    assert.equal(atStart.length, 1, JSON.stringify(outcome.warnings));
    assert.match(atStart[0]!.publicUrl!, /^https:\/\/localhost:\d+$/);
    assert.match(atStart[0]!.msg, /--public-url/);
    assert.equal(outcome.status, 200);
    assert.equal(outcome.messages.length, 1);
    assert.equal(outcome.messages[0]!.code, WARNING_CODE);
    assert.match(outcome.messages[0]!.message, /https:\/\/localhost:\d+ .*only this machine can reach.*--public-url/);
    // The warning is true: the certificate names localhost.
    assert.match(new X509Certificate(outcome.certificate).infoAccess ?? '', /OCSP - URI:https:\/\/localhost:\d+\//);
  });

  test('with --public-url naming a reachable host: no warning', needsNamespace, () => {
    const outcome = runScenario('https://gw.example.com');
    assert.deepEqual(
      outcome.warnings.filter((line) => line.code === 'GW_ERR_PUBLIC_URL_LOOPBACK'),
      [],
    );
    assert.deepEqual(outcome.messages, []);
    assert.match(new X509Certificate(outcome.certificate).infoAccess ?? '', /OCSP - URI:https:\/\/gw\.example\.com\//);
  });

  test('listening on loopback only (a trial on one machine): no warning', async () => {
    const server = await startAdminServer();
    try {
      const { zoneId } = await createTenant(server, 'example.com');
      const { csrPem } = await generateKeyAndCsr('device-1');
      const issued = await server.call('POST', `/zones/${zoneId}/client_certificates`, {
        csr: csrPem,
        validity_days: 30,
      });
      assert.equal(issued.status, 200);
      assert.deepEqual(issued.body.messages, []);
    } finally {
      await server.stop();
    }
  });
});
