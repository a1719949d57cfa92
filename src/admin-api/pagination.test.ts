import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../errors/index.ts';
import { checkedPageQuery, planPage } from './pagination.ts';

const refused = (error: unknown): boolean => error instanceof GatewayError && error.v4Code === 12101;

test('page/per_page: per_page is clamped to the endpoint range, offset follows the page', () => {
  assert.deepEqual(planPage({}), { offset: 0, limit: 20, page: 1, perPage: 20 });
  assert.deepEqual(planPage({ page: 3, per_page: 10 }), { offset: 20, limit: 10, page: 3, perPage: 10 });
  assert.deepEqual(planPage({ per_page: 1 }), { offset: 0, limit: 5, page: 1, perPage: 5 });
  assert.deepEqual(planPage({ per_page: 500 }), { offset: 0, limit: 50, page: 1, perPage: 50 });
});

test('offset/limit win over page/per_page; a large limit is clamped', () => {
  assert.deepEqual(planPage({ page: 9, offset: 7, limit: 3 }), { offset: 7, limit: 3, page: 3, perPage: 3 });
  assert.deepEqual(planPage({ offset: 100, limit: 1000 }), { offset: 100, limit: 50, page: 3, perPage: 50 });
});

test('the largest allowed values plan an exact offset', () => {
  assert.deepEqual(planPage({ page: 1_000_000, per_page: 50 }), {
    offset: 49_999_950,
    limit: 50,
    page: 1_000_000,
    perPage: 50,
  });
});

test('values that are not whole numbers within bounds are refused (400), absent ones stay absent', () => {
  for (const value of [1e308, Infinity, -Infinity, Number.NaN, -1, 1.5, 2 ** 53, 1_000_001]) {
    assert.throws(() => planPage({ page: value }), refused, `page ${value}`);
    assert.throws(() => planPage({ per_page: value }), refused, `per_page ${value}`);
    assert.throws(() => planPage({ limit: value }), refused, `limit ${value}`);
  }
  assert.throws(() => planPage({ offset: 50_000_001 }), refused);
  assert.throws(() => planPage({ offset: -1 }), refused);
  assert.throws(() => checkedPageQuery({ page: '2' as unknown as number }), refused, 'a string is not a number');
  assert.deepEqual(checkedPageQuery({ offset: 0 }), { offset: 0 });
});
