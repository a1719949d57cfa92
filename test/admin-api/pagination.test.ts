/**
 * Paging parameters of every list endpoint, over real HTTP against `portcullis serve` on SQLite and
 * on a real PostgreSQL: a value that is not a whole number within its bounds (`1e308`, `Infinity`,
 * negative, fractional, beyond 2^53) is a 400 with the validation code, never a 500 from the store,
 * and the largest allowed values still give a 200 with an empty page. Bounds: src/admin-api/pagination.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, startAdminServer, type AdminServer } from '../helpers/admin-server.ts';
import { describeOnBothStores } from '../helpers/both-stores.ts';
import { fails, ok } from '../helpers/v4-assertions.ts';

const VALIDATION = 12101;
/** Query values no paging parameter accepts. */
const BAD_VALUES = ['1e308', 'Infinity', '-Infinity', '-1', '1.5', 'NaN', '9007199254740993', 'ten'];

describeOnBothStores('list paging parameters', 'paging', (storeUrl) => {
  let server: AdminServer;
  /** Each list endpoint with the paging parameters it takes. */
  let lists: { path: string; params: string[] }[];

  before(async () => {
    const url = await storeUrl();
    server = await startAdminServer(url === undefined ? undefined : { kind: 'postgres', url });
    const { accountId, zoneId } = await createTenant(server, 'paging.test');
    const pageNumbered = ['page', 'per_page', 'offset', 'limit'];
    lists = [
      { path: '/accounts', params: pageNumbered },
      { path: '/zones', params: pageNumbered },
      { path: `/zones/${zoneId}/client_certificates`, params: pageNumbered },
      { path: `/accounts/${accountId}/gateway/keys`, params: pageNumbered },
      { path: `/zones/${zoneId}/rulesets`, params: ['per_page'] },
    ];
  });

  after(async () => {
    await server.stop();
  });

  test('out-of-bounds, non-finite, negative and fractional values are 400 with the validation code', async () => {
    for (const { path, params } of lists) {
      for (const param of params) {
        for (const value of BAD_VALUES) {
          const response = await server.call('GET', `${path}?${param}=${encodeURIComponent(value)}`);
          const where = `${path.replace(/[0-9a-f]{32}/g, '{id}')}?${param}=${value}`;
          assert.equal(response.status, 400, `${where}: ${JSON.stringify(response.body)}`);
          fails(response, 400, VALIDATION);
        }
      }
    }
  });

  test('values just past the bounds are refused; the bounds themselves give a 200', async () => {
    const zones = '/zones';
    fails(await server.call('GET', `${zones}?page=0`), 400, VALIDATION);
    fails(await server.call('GET', `${zones}?page=1000001`), 400, VALIDATION);
    fails(await server.call('GET', `${zones}?per_page=0`), 400, VALIDATION);
    fails(await server.call('GET', `${zones}?offset=50000001`), 400, VALIDATION);
    fails(await server.call('GET', `${zones}?limit=0`), 400, VALIDATION);
    for (const { path, params } of lists) {
      const query = params.includes('page') ? 'page=1000000&per_page=1000000' : 'per_page=1000000';
      const last = await server.call('GET', `${path}?${query}`);
      assert.deepEqual(ok(last), [], path);
      if (params.includes('offset')) {
        const far = await server.call('GET', `${path}?offset=50000000&limit=1000000`);
        assert.deepEqual(ok(far), [], path);
        assert.equal(far.body.result_info?.per_page, 50, 'a large limit is clamped to what the endpoint serves');
      }
    }
  });
});
