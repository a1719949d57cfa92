import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  forgeIntermediate,
  forgeLeaf,
  forgeRoot,
  KU,
  type ForgeOptions,
} from '../../test/helpers/forge-certificate.ts';
import { parseChainCertificate } from './chain-certificate.ts';
import { caRoleViolation, leafRoleViolation, rootBasicConstraintsViolation } from './chain-rule-roles.ts';

const root = forgeRoot('CN=Roles Root');
const leafRule = (options: Partial<ForgeOptions>): string | undefined =>
  leafRoleViolation(parseChainCertificate(forgeLeaf(root, 'CN=device', options).der)!)?.rule;

test('an end-entity leaf (CA:FALSE or no basicConstraints, digitalSignature) breaks no role rule', () => {
  assert.equal(leafRule({}), undefined);
  assert.equal(leafRule({ ca: null }), undefined);
});

test('leaf-is-ca: cA=TRUE, also without keyCertSign (which Node X509Certificate.ca misses)', () => {
  assert.equal(leafRule({ ca: true }), 'leaf-is-ca');
  assert.equal(leafRule({ ca: true, keyUsage: KU.digitalSignature }), 'leaf-is-ca');
});

test('leaf-key-cert-sign: CA:FALSE with keyCertSign, or no basicConstraints with it', () => {
  assert.equal(leafRule({ keyUsage: KU.digitalSignature | KU.keyCertSign }), 'leaf-key-cert-sign');
  assert.equal(leafRule({ ca: null, keyUsage: KU.keyCertSign }), 'leaf-key-cert-sign');
});

test('leaf-name-constraints: a nameConstraints extension on the leaf', () => {
  assert.equal(leafRule({ nameConstraints: { permitted: [{ dns: 'example.com' }] } }), 'leaf-name-constraints');
});

test('ca-basic-constraints-missing: an intermediate with keyCertSign but no basicConstraints, or CA:FALSE', () => {
  const caRule = (options: Partial<ForgeOptions>): string | undefined =>
    caRoleViolation(parseChainCertificate(forgeIntermediate(root, 'CN=Issuing CA', options).der)!)?.rule;
  assert.equal(caRule({}), undefined);
  assert.equal(caRule({ ca: null, keyUsage: KU.keyCertSign }), 'ca-basic-constraints-missing');
  assert.equal(caRule({ ca: false, keyUsage: KU.keyCertSign }), 'ca-basic-constraints-missing');
});

test('root-basic-constraints-not-critical: a root whose basicConstraints is not critical', () => {
  const rootRule = (options: Partial<ForgeOptions>): string | undefined =>
    rootBasicConstraintsViolation(parseChainCertificate(forgeRoot('CN=Root', options).der)!)?.rule;
  assert.equal(rootRule({}), undefined);
  assert.equal(rootRule({ basicConstraintsCritical: false }), 'root-basic-constraints-not-critical');
});
