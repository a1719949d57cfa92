/** The field character classes shared by the request writer and the response parser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFieldValue, isFieldValueChar, isToken, TCHAR } from './field-syntax.ts';

test('tokens: the 77 tchar of RFC 9110 §5.6.2, nothing else, and never empty', () => {
  assert.equal(
    TCHAR.reduce((sum, bit) => sum + bit, 0),
    77,
  );
  assert.equal(isToken('GET'), true);
  assert.equal(isToken("x-a!#$%&'*+-.^_`|~9"), true);
  for (const bad of ['', 'a b', 'a:b', 'a\tb', 'a\r\n', 'é', 'a"b', 'a(b)', 'a/b', 'a\u0100']) {
    assert.equal(isToken(bad), false, JSON.stringify(bad));
  }
});

test('field values: HTAB, SP, VCHAR and obs-text; no CTL, DEL or code point above 0xFF', () => {
  assert.equal(isFieldValue(''), true);
  assert.equal(isFieldValue('a\tb c~\x80\xff'), true);
  for (const bad of ['\r', '\n', '\0', '\x1f', '\x7f', 'wide \u0100']) {
    assert.equal(isFieldValue(bad), false, JSON.stringify(bad));
  }
  assert.equal(isFieldValueChar(0x09), true);
  assert.equal(isFieldValueChar(0x0a), false);
  assert.equal(isFieldValueChar(Number.NaN), false);
});
