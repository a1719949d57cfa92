import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forgeLeaf, forgeRoot, newKey, type KeySpec } from '../../test/helpers/forge-certificate.ts';
import { parseChainCertificate } from './chain-certificate.ts';
import { keyViolation } from './chain-rule-key.ts';

const root = forgeRoot('CN=Key Root');
const ruleOf = (spec: KeySpec): string | undefined =>
  keyViolation(parseChainCertificate(forgeLeaf(root, 'CN=device', { key: newKey(spec) }).der)!)?.rule;

test('accepted keys: RSA-2048 and RSA-PSS-2048, P-256, P-384, P-521, Ed25519, Ed448', () => {
  for (const spec of [{ rsa: 2048 }, { rsaPss: 2048 }, 'p256', 'p384', 'p521', 'ed25519', 'ed448'] as const) {
    assert.equal(ruleOf(spec), undefined, JSON.stringify(spec));
  }
});

test('weak-rsa-key: RSA-1024 and RSA-2047; rsa-modulus-not-multiple-of-8: RSA-2052', () => {
  assert.equal(ruleOf({ rsa: 1024 }), 'weak-rsa-key');
  assert.equal(ruleOf({ rsa: 2047 }), 'weak-rsa-key');
  assert.equal(ruleOf({ rsaPss: 1024 }), 'weak-rsa-key');
  assert.equal(ruleOf({ rsa: 2052 }), 'rsa-modulus-not-multiple-of-8');
});

test('dsa-key: DSA; weak-ec-curve: P-192, P-224, secp256k1', () => {
  assert.equal(ruleOf('dsa'), 'dsa-key');
  assert.equal(ruleOf('p192'), 'weak-ec-curve');
  assert.equal(ruleOf('p224'), 'weak-ec-curve');
  assert.equal(ruleOf('secp256k1'), 'weak-ec-curve');
});
