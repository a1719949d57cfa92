/**
 * The bundled `portcullis` (docs/adr/0025-bundled-dist.md) — what `npm run build` ships as dist/main.js — does what
 * the per-file code does. The other tests run it too (test/helpers/cli.ts), but only through the CLI; here it is
 * built from src/ with the same options (scripts/bundle-gateway.ts) into a directory under dist/ (its external
 * packages resolve from the checkout's node_modules as from an installed package's), and its worker threads are
 * run directly.
 */
import 'reflect-metadata';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { X509Certificate, X509Crl } from '@peculiar/x509';
import { bundleGateway, gatewayEntries } from '../../scripts/bundle-gateway.ts';
import { CrlThread } from '../../src/control/publish/crl-thread.ts';
import { OFF_THREAD_BYTES, acceptCrlOffThread } from '../../src/control/revocation/crl-acceptance-off-thread.ts';
import { createManagedCa } from '../../src/pki/certificate-issuer.ts';
import { serialForLookup } from '../../src/pki/serial.ts';
import { requestOnSocket } from '../helpers/https-client.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { spawnServe, untilListening, type ListeningNode } from '../helpers/serve-node.ts';
import { startPidUpstream, within, WorkersGateway, type PidUpstream } from '../helpers/serve-workers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HOST = 'api.bundle.test';

describe('the bundled build', () => {
  let outdir: string;
  const bundled = (name: string): string => path.join(outdir, `${name}.js`);

  before(async () => {
    await mkdir(path.join(ROOT, 'dist'), { recursive: true });
    outdir = await mkdtemp(path.join(ROOT, 'dist', '.bundle-test-'));
    bundleGateway(gatewayEntries(path.join(ROOT, 'src'), '.ts'), outdir);
  });
  after(() => rm(outdir, { recursive: true, force: true }));

  test('runs as the command', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [bundled('main'), '--version']);
    assert.match(stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('its CRL thread signs a long CRL, and its CRL-check thread accepts it', async () => {
    const ca = await createManagedCa('CN=Bundled Build Test CA');
    const thread = new CrlThread(pathToFileURL(bundled('crl-thread-worker')));
    const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const list = new Map(
      Array.from({ length: 3000 }, (_, index) => [
        serialForLookup(`${(0x300000 + index).toString(16)}0123456789abcdef`),
        thisUpdate.getTime() - 60_000,
      ]),
    );
    let der: Uint8Array;
    try {
      der = await thread.generate(
        { caId: 'ca-1', ca, crlNumber: 5, thisUpdate, nextUpdate: new Date(thisUpdate.getTime() + 86_400_000) },
        list,
      );
    } finally {
      await thread.close();
    }
    const crl = new X509Crl(der);
    assert.ok(await crl.verify({ publicKey: new X509Certificate(ca.certPem) }), 'signed by the CA');
    assert.equal(crl.entries.length, list.size);

    assert.ok(der.byteLength >= OFF_THREAD_BYTES, `the CRL (${der.byteLength} bytes) takes the thread path`);
    const accepted = await acceptCrlOffThread(
      { der, cas: [new NodeX509Certificate(ca.certPem)], inForce: new Map(), now: new Date() },
      pathToFileURL(bundled('crl-acceptance-worker')),
    );
    assert.equal(accepted.revokedSerials.length, list.size);
    assert.equal(accepted.crlNumber, 5n);
  });

  describe('serve --workers 2 from the bundle', () => {
    let dataDir: string;
    let node: ListeningNode;
    let gateway: WorkersGateway;
    let upstream: PidUpstream;
    let openssl: OpensslWorkdir;
    let zoneId: string;

    before(async () => {
      upstream = await startPidUpstream();
      openssl = new OpensslWorkdir();
      dataDir = await mkdtemp(path.join(tmpdir(), 'portcullis-bundle-'));
      node = await untilListening(spawnServe(dataDir, ['--workers', '2'], {}, [], bundled('main')), 90_000);
      gateway = await WorkersGateway.open(node, dataDir);
      upstream.watch(() => gateway.workerPids());
      zoneId = await gateway.configureMtlsHost(openssl, {
        account: 'bundle',
        zone: 'bundle.test',
        host: HOST,
        upstreamUrl: upstream.url,
      });
    });
    after(async () => {
      await node.stop(15_000);
      openssl.remove();
      await upstream.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    test('both workers serve the mTLS host; a revocation refuses the device on an open connection', async () => {
      await gateway.untilEveryWorkerServes(HOST, 2, 30_000);
      const [socket] = await gateway.connectionPerWorker(HOST, 1);
      try {
        await gateway.api('DELETE', `/zones/${zoneId}/client_certificates/${gateway.device!.id}`);
        await within(5_000, async () => (await requestOnSocket(socket!, HOST)).status === 403);
      } finally {
        socket!.destroy();
      }
      const fresh = await gateway.getOnce(HOST).then(
        (reply) => reply.status,
        () => 'handshake refused',
      );
      assert.ok(fresh === 403 || fresh === 'handshake refused', `a new connection: ${fresh}`);
    });
  });
});
