/**
 * `accounts[].portal_products` in the `serve --config` file, through a real `serve` (in-process):
 * products created from the file with their APIs and policy resolved by name, the same file applied
 * again changes nothing, a changed file updates the product, and a product naming a policy that
 * does not exist refuses the whole file with the place and the reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAdminServer, type AdminServer } from '../helpers/admin-server.ts';

function file(options: { approval: string; policy?: string }): string {
  return `accounts:
  - name: acme
    zones:
      - name: portal-config.test
        apis:
          - name: orders
            hostname: api.portal-config.test
            listen_path: /orders
            upstream_url: http://127.0.0.1:9
            auth: { mode: mtls_dynamic }
    policies:
      - name: standard
        access_rights:
          - api: orders
    portal_products:
      - name: Orders
        description: Read and place orders.
        apis: [orders]
        policy: ${options.policy ?? 'standard'}
        approval_mode: ${options.approval}
        validity_days: 90
`;
}

describe('serve --config: portal products', () => {
  let dir: string;
  let configFile: string;
  let server: AdminServer;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-portal-config-'));
    configFile = path.join(dir, 'portcullis.yaml');
    await writeFile(configFile, file({ approval: 'manual' }));
    server = await startAdminServer(undefined, undefined, { flags: { config: configFile } });
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const products = async () =>
    (
      await server.call<
        {
          id: string;
          name: string;
          approval_mode: string;
          validity_days: number;
          api_ids: string[];
          modified_on: string;
        }[]
      >('GET', '/portal/products')
    ).body.result;

  test('created from the file, unchanged when applied again, updated when the file changes', async () => {
    const [created] = await products();
    assert.equal(created?.name, 'Orders');
    assert.equal(created.approval_mode, 'manual');
    assert.equal(created.validity_days, 90);
    assert.equal(created.api_ids.length, 1);

    await server.running.reload();
    assert.deepEqual(await products(), [created], 'the same file changes nothing');

    await writeFile(configFile, file({ approval: 'automatic' }));
    await server.running.reload();
    const [updated] = await products();
    assert.equal(updated?.id, created.id);
    assert.equal(updated.approval_mode, 'automatic');
  });

  test('a product naming an unknown policy refuses the file, and nothing changes', async () => {
    const before = await products();
    await writeFile(configFile, file({ approval: 'manual', policy: 'nope' }));
    await assert.rejects(server.running.reload(), /no policy named "nope"/);
    assert.deepEqual(await products(), before);
  });
});
