import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as codes from './codes.ts';
import { renderErrorDocs } from './error-docs.ts';
import { GatewayError } from './define-error.ts';

test('docs/reference/errors.md is the rendering of the registry (run npm run gen:error-docs)', () => {
  const docs = readFileSync(path.resolve(import.meta.dirname, '../../docs/reference/errors.md'), 'utf8');
  assert.equal(docs, renderErrorDocs());
});

test('every export is named after its code, and codes and v4 numbers are unique', () => {
  const entries = Object.entries(codes);
  for (const [name, definition] of entries) {
    assert.equal(name, definition.code);
    assert.match(definition.code, /^GW_ERR_[A-Z0-9_]+$/);
  }
  assert.equal(new Set(entries.map(([, d]) => d.v4Code)).size, entries.length);
});

test('the number of codes is pinned: adding or removing one is a deliberate change', () => {
  assert.equal(Object.keys(codes).length, 113);
});

test('created errors carry the registry fields and fill the template', () => {
  const error = codes.GW_ERR_CERT_NOT_ALLOWED.create('ab12');
  assert.ok(error instanceof GatewayError);
  assert.equal(error.message, 'The client certificate ab12 is not allowed here');
  assert.equal(error.httpStatus, 403);
  assert.equal(codes.GW_ERR_CERT_NOT_ALLOWED.exitCode, undefined, 'request errors end no process');
  assert.equal(error.exitCode, 1);
  assert.equal(codes.GW_ERR_CONFIG_CA_INVALID.create('x').exitCode, 3);
  assert.equal(codes.GW_ERR_USAGE.create('x').exitCode, 2);
});

test('instanceof works on errors from another copy of the module (Symbol.for brand)', () => {
  const foreign = Object.create({ [Symbol.for('portcullis.error')]: true }) as object;
  assert.ok(foreign instanceof GatewayError);
  assert.ok(!(new Error('plain') instanceof GatewayError));
});
