import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ZoneRecord } from '../../model/records.ts';
import { HostnameOwnership } from './hostname-ownership.ts';

let ids = 0;
function zone(name: string, accountId: string, day: number, delegated = false): ZoneRecord {
  ids += 1;
  return { id: `zone-${ids}`, accountId, name, createdAt: `2025-01-${String(day).padStart(2, '0')}`, delegated };
}
const names = (zones: readonly ZoneRecord[]): string[] => zones.map((z) => `${z.name}@${z.accountId}`);

test('a hostname is served by the zones that contain it by name, most specific first', () => {
  const ownership = new HostnameOwnership([zone('b.test', 'B', 1), zone('api.b.test', 'B', 2)]);
  assert.deepEqual(names(ownership.servingZones('x.api.b.test')), ['api.b.test@B', 'b.test@B']);
  assert.deepEqual(names(ownership.servingZones('b.test')), ['b.test@B']);
  assert.deepEqual(names(ownership.servingZones('*.b.test')), ['b.test@B'], 'a wildcard lies where its parent does');
  assert.deepEqual(ownership.servingZones('b.testing'), [], 'no zone contains it: nobody serves it');
  assert.deepEqual(ownership.servingZones('other.example'), []);
  assert.deepEqual(ownership.unapprovedOverlaps(), [], 'same-account nesting is no overlap');
});

test('a zone created inside an older zone of another account without a delegation counts for nothing', () => {
  const victim = zone('b.test', 'B', 1);
  const squat = zone('api.b.test', 'A', 2);
  const ownership = new HostnameOwnership([squat, victim]);
  assert.deepEqual(names(ownership.servingZones('api.b.test')), ['b.test@B']);
  assert.deepEqual(names(ownership.servingZones('x.api.b.test')), ['b.test@B']);
  assert.deepEqual(ownership.unapprovedOverlaps(), [{ zone: squat, older: victim }]);
});

test('a delegated subdomain zone serves its own names; the parent account none of them', () => {
  const parent = zone('b.test', 'B', 1);
  const delegated = zone('api.b.test', 'A', 2, true);
  const ownership = new HostnameOwnership([parent, delegated]);
  assert.deepEqual(names(ownership.servingZones('x.api.b.test')), ['api.b.test@A']);
  assert.deepEqual(names(ownership.servingZones('www.b.test')), ['b.test@B']);
  assert.deepEqual(ownership.unapprovedOverlaps(), []);
});

test("an undelegated parent created after another account's zone serves only what lies outside it", () => {
  const first = zone('api.b.test', 'A', 1);
  const later = zone('b.test', 'B', 2);
  const ownership = new HostnameOwnership([first, later]);
  assert.deepEqual(names(ownership.servingZones('x.api.b.test')), ['api.b.test@A']);
  assert.deepEqual(names(ownership.servingZones('www.b.test')), ['b.test@B']);
  assert.deepEqual(ownership.unapprovedOverlaps(), [{ zone: later, older: first }]);
});

test("a squatter in the middle does not take the owner's own nested zone away", () => {
  const owner = zone('b.test', 'A', 1);
  const squat = zone('api.b.test', 'B', 2);
  const nested = zone('x.api.b.test', 'A', 3);
  const ownership = new HostnameOwnership([owner, squat, nested]);
  assert.deepEqual(names(ownership.servingZones('h.x.api.b.test')), ['x.api.b.test@A', 'b.test@A']);
  assert.deepEqual(names(ownership.servingZones('h.api.b.test')), ['b.test@A']);
});

test('zones created at the same instant: the id decides, the same way every time', () => {
  const a = { ...zone('b.test', 'B', 1), id: 'aaa' };
  const b = { ...zone('api.b.test', 'A', 1), id: 'bbb' };
  const one = new HostnameOwnership([a, b]).servingZones('x.api.b.test');
  const two = new HostnameOwnership([b, a]).servingZones('x.api.b.test');
  assert.deepEqual(names(one), ['b.test@B']);
  assert.deepEqual(names(two), names(one));
});
