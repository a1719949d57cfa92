import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyIndex, type KeyRuntime } from './api-runtime.ts';
import type { CertificateBinding } from '../model/records.ts';

const LEAF = 'aa'.repeat(32);
const SPKI = 'bb'.repeat(32);

function key(id: string, accountId: string, binding: CertificateBinding | null): KeyRuntime {
  return { id, accountId, alias: id, binding, active: true, expiresAtMs: null, limits: undefined };
}

test('byCertificate looks in one account only: two accounts bound to one certificate each find their own', () => {
  const index = new KeyIndex([
    key('a-leaf', 'account-a', { kind: 'leaf_sha256', value: LEAF }),
    key('b-spki', 'account-b', { kind: 'spki_sha256', value: SPKI }),
  ]);
  assert.equal(index.byCertificate('account-a', LEAF, () => SPKI)?.id, 'a-leaf');
  assert.equal(index.byCertificate('account-b', LEAF, () => SPKI)?.id, 'b-spki');
  assert.equal(
    index.byCertificate('account-c', LEAF, () => SPKI),
    undefined,
    'an account without keys finds none',
  );
});

test('in one account the exact leaf wins over the public key; the SPKI is computed only when needed', () => {
  const index = new KeyIndex([
    key('by-spki', 'account-a', { kind: 'spki_sha256', value: SPKI }),
    key('by-leaf', 'account-a', { kind: 'leaf_sha256', value: LEAF }),
    key('token-only', 'account-b', null),
  ]);
  let spkiComputed = 0;
  const spki = (): string => {
    spkiComputed += 1;
    return SPKI;
  };
  assert.equal(index.byCertificate('account-a', LEAF, spki)?.id, 'by-leaf');
  assert.equal(spkiComputed, 0);
  assert.equal(index.byCertificate('account-a', 'cc'.repeat(32), spki)?.id, 'by-spki', 'a renewed certificate');
  assert.equal(spkiComputed, 1);
  assert.equal(index.byCertificate('account-b', LEAF, spki), undefined);
  assert.equal(spkiComputed, 1, 'an account without SPKI bindings never computes it');
});
