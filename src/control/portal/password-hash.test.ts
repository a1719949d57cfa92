import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from './password-hash.ts';

const CHEAP = { N: 2 ** 10, r: 8, p: 1 };

test('a password verifies against its own hash only; the hash shows neither password nor salt reuse', async () => {
  const hash = await hashPassword('correct horse battery staple', CHEAP);
  assert.match(hash, /^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  assert.ok(!hash.includes('horse'));
  assert.equal(await verifyPassword('correct horse battery staple', hash), true);
  assert.equal(await verifyPassword('correct horse battery stapl', hash), false);
  assert.notEqual(await hashPassword('correct horse battery staple', CHEAP), hash, 'a fresh salt every time');
});

test('the default cost is what is stored, and it verifies', async () => {
  const hash = await hashPassword('a long enough password');
  assert.match(hash, /^scrypt\$131072\$8\$1\$/);
  assert.equal(await verifyPassword('a long enough password', hash), true);
});

test('anything that is not one of our hashes never verifies (and never throws)', async () => {
  for (const stored of ['', 'scrypt$', 'bcrypt$x', 'scrypt$1024$8$1$c2FsdA$c2hvcnQ', 'scrypt$99999999$8$1$a$b']) {
    assert.equal(await verifyPassword('x', stored), false, stored);
  }
});
