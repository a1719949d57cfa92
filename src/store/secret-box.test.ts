import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box.ts';

const PLAINTEXT =
  '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';

test('seal then open returns the plaintext; the sealed form is v1: + base64(iv | tag | ciphertext)', () => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal(PLAINTEXT);
  assert.match(sealed, /^v1:[A-Za-z0-9+/]+=*$/);
  assert.equal(Buffer.from(sealed.slice(3), 'base64').length, 12 + 16 + Buffer.byteLength(PLAINTEXT));
  assert.ok(!sealed.includes('PRIVATE KEY'));
  assert.equal(box.open(sealed), PLAINTEXT);
  assert.equal(box.open(box.seal('')), '');
  assert.equal(box.open(box.seal('ключ ✓')), 'ключ ✓');
});

test('every seal uses a fresh IV', () => {
  const box = new SecretBox(randomBytes(32));
  assert.notEqual(box.seal(PLAINTEXT), box.seal(PLAINTEXT));
});

test('a wrong key fails with a clear message that carries no content', () => {
  const sealed = new SecretBox(randomBytes(32)).seal(PLAINTEXT);
  assert.throws(
    () => new SecretBox(randomBytes(32)).open(sealed),
    (error: Error) => {
      assert.match(error.message, /wrong master key/);
      assert.ok(!error.message.includes(sealed.slice(3, 20)));
      assert.ok(!error.message.includes('PRIVATE'));
      return true;
    },
  );
});

test('any altered byte (iv, tag or ciphertext) is refused', () => {
  const box = new SecretBox(randomBytes(32));
  const bytes = Buffer.from(box.seal(PLAINTEXT).slice(3), 'base64');
  for (const index of [0, 11, 12, 27, 28, bytes.length - 1]) {
    const altered = Buffer.from(bytes);
    altered[index] = (altered[index] ?? 0) ^ 0x01;
    assert.throws(() => box.open(`v1:${altered.toString('base64')}`), /altered/);
  }
});

test('unknown formats and truncated input are refused', () => {
  const box = new SecretBox(randomBytes(32));
  assert.throws(() => box.open(PLAINTEXT), /unknown format/);
  assert.throws(() => box.open('v2:AAAA'), /unknown format/);
  assert.throws(() => box.open('v1:AAAA'), /truncated/);
});

test('the key must be 32 bytes', () => {
  assert.throws(() => new SecretBox(randomBytes(16)), /32 bytes, got 16/);
});
