/**
 * The app page's cost in store queries, against a real `serve` (SQLite) whose store is wrapped to
 * count calls: loading an app page (GET /api/apps/:id) and the catalogue (GET /api/products) reads a
 * fixed number of times however many apps, requests, keys and certificates the developer has —
 * no query per request, per product or per day of usage. Also: the usage the page shows counts
 * the app's requests, errors and rate-limit hits of today.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Store } from '../../src/store/ports.ts';
import { OpensslWorkdir } from '../helpers/openssl.ts';
import { eventually } from '../helpers/uploaded-ca.ts';
import { invitedDeveloper, startPortalWorld, type DeveloperClient, type PortalWorld } from './portal-fixture.ts';

/**
 * Counts store calls by name while `counting` is on, those made for the portal's HTTP handlers only
 * (their async stack passes through src/portal/): the gateway's own timers (analytics flushes,
 * expiry checks) read and write the store too, at any time.
 */
const PORTAL_SOURCES = `${path.sep}src${path.sep}portal${path.sep}`;

function fromPortal(): boolean {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  const stack = new Error('where').stack ?? '';
  Error.stackTraceLimit = saved;
  return stack.includes(PORTAL_SOURCES);
}

class StoreCallCounter {
  counting = false;
  calls: string[] = [];

  wrap = (store: Store): Store =>
    new Proxy(store, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (this.counting && fromPortal()) this.calls.push(String(property));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });

  async during(work: () => Promise<unknown>): Promise<string[]> {
    this.calls = [];
    this.counting = true;
    try {
      await work();
    } finally {
      this.counting = false;
    }
    return this.calls;
  }
}

interface AppDetail {
  requests: { status: string }[];
  usage: { day: string; requests: number; errors: number; rate_limited: number }[];
}

describe('portal: the app page reads a fixed number of times', () => {
  const counter = new StoreCallCounter();
  let world: PortalWorld;
  let openssl: OpensslWorkdir;
  let developer: DeveloperClient;
  let appId: string;
  let tightProductId: string;

  before(async () => {
    world = await startPortalWorld({ wrapStore: counter.wrap });
    openssl = new OpensslWorkdir();
    developer = await invitedDeveloper(world, 'queries@example.com');
    appId = (await developer.ok<{ id: string }>('POST', '/api/apps', { name: 'counted app' })).id;
    const tight = await world.ok<{ id: string }>('POST', `/accounts/${world.accountId}/gateway/policies`, {
      name: 'tight',
      access_rights: [{ api_id: world.billingApiId }],
      rate_limit: { rate: 2, per: 60 },
    });
    tightProductId = (
      await world.ok<{ id: string }>('POST', '/portal/products', {
        account_id: world.accountId,
        name: 'Tight',
        description: 'Two calls a minute.',
        api_ids: [world.billingApiId],
        policy_id: tight.id,
        approval_mode: 'automatic',
      })
    ).id;
  });
  after(async () => {
    openssl.remove();
    await world.stop();
  });

  /** Requests access with a CSR; the billing product approves at once, orders waits for the operator. */
  const requestAccess = async (productId: string, cn: string): Promise<{ id: string }> =>
    developer.ok<{ id: string }>('POST', `/api/apps/${appId}/requests`, {
      product_id: productId,
      credential: { kind: 'csr', csr: openssl.csr('p256', `/CN=${cn}`).csrPem },
    });

  const pageLoad = async (): Promise<string[]> =>
    counter.during(async () => {
      await developer.ok('GET', `/api/apps/${appId}`);
      await developer.ok('GET', '/api/products');
    });

  test('ten times the apps, requests, keys and certificates: the same queries', async () => {
    await requestAccess(world.billingProductId, 'first-billing');
    const pending = await requestAccess(world.ordersProductId, 'first-orders');
    await world.ok('POST', `/portal/access_requests/${pending.id}/approve`, {});
    const few = await pageLoad();

    for (let i = 0; i < 9; i += 1) {
      await developer.ok('POST', '/api/apps', { name: `another app ${i}` });
      await requestAccess(world.billingProductId, `billing-${i}`);
      const more = await requestAccess(world.ordersProductId, `orders-${i}`);
      if (i % 2 === 0) await world.ok('POST', `/portal/access_requests/${more.id}/approve`, {});
    }
    const detail = await developer.ok<AppDetail>('GET', `/api/apps/${appId}`);
    assert.equal(detail.requests.length, 20);
    const many = await pageLoad();

    assert.deepEqual(many.sort(), few.sort(), 'the same store calls, whatever the number of items');
    assert.ok(few.length <= 12, `a handful of queries, not one per item: ${few.join(', ')}`);
  });

  test("usage: today's requests, errors and rate-limit hits of the app's keys", async () => {
    const { csrPem, keyPem } = openssl.csr('p256', '/CN=usage');
    const made = await developer.ok<{ certificate_pem: string }>('POST', `/api/apps/${appId}/requests`, {
      product_id: tightProductId,
      credential: { kind: 'csr', csr: csrPem },
    });
    const client = { certPem: made.certificate_pem, keyPem };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await world.callApi('/billing/x', client)).status);
    assert.deepEqual(statuses, [200, 200, 429, 429]);
    const day = new Date().toISOString().slice(0, 10);
    let today: AppDetail['usage'][number] = { day, requests: 0, errors: 0, rate_limited: 0 };
    await eventually('the usage shows the calls', async () => {
      const detail = await developer.ok<AppDetail>('GET', `/api/apps/${appId}`);
      today = detail.usage.at(-1) ?? today;
      return today.requests === 4;
    });
    assert.deepEqual(today, { day, requests: 4, errors: 2, rate_limited: 2 }, 'the two 429 are errors too');
  });
});
