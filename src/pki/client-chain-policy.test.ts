import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { forgeIntermediate, forgeLeaf, forgeRoot, newKey, type Forged } from '../../test/helpers/forge-certificate.ts';
import { checkCaCertificate, checkClientChain, type ChainCompatibility } from './client-chain-policy.ts';

const root = forgeRoot('CN=Policy Root');
const ica = forgeIntermediate(root, 'CN=Policy Issuing CA');
const leaf = forgeLeaf(ica, 'CN=device-1', { san: [{ dns: 'device-1.example.com' }] });

const check = (path: Forged[], compatibility: ChainCompatibility = 'strict') => {
  const [first, ...rest] = path;
  return checkClientChain({
    leaf: first!.der,
    intermediates: rest.slice(0, -1).map((forged) => forged.der),
    anchor: rest.at(-1)!.der,
    compatibility,
  });
};

test('a conforming leaf → intermediate → root path passes under both compatibilities', () => {
  assert.equal(check([leaf, ica, root]), undefined);
  assert.equal(check([leaf, ica, root], 'legacy'), undefined);
  assert.equal(check([forgeLeaf(root, 'CN=direct'), root]), undefined);
});

test('the violation names the rule and where in the path it is', () => {
  const weak = forgeLeaf(ica, 'CN=weak', { key: newKey({ rsa: 1024 }) });
  assert.deepEqual(check([weak, ica, root]), {
    rule: 'weak-rsa-key',
    detail: 'the leaf: an RSA key of 1024 bits (at least 2048)',
  });
  const badIca = forgeIntermediate(root, 'CN=Odd CA', { serial: new Uint8Array([0]) });
  const underBad = forgeLeaf(badIca, 'CN=d');
  assert.equal(check([underBad, badIca, root])?.detail.startsWith('intermediate 1: serial number 0'), true);
  const noSkiRoot = forgeRoot('CN=No SKI Root', { subjectKeyIdentifier: false });
  assert.equal(check([forgeLeaf(noSkiRoot, 'CN=d'), noSkiRoot])?.detail.startsWith('the trust anchor:'), true);
});

test('legacy compatibility skips exactly the key identifier and root basicConstraints rules', () => {
  const legacyRoot = forgeRoot('CN=Legacy Root', { subjectKeyIdentifier: false, basicConstraintsCritical: false });
  const legacyIca = forgeIntermediate(legacyRoot, 'CN=Legacy ICA', {
    subjectKeyIdentifier: false,
    authorityKeyIdentifier: false,
  });
  const legacyLeaf = forgeLeaf(legacyIca, 'CN=d', { authorityKeyIdentifier: false });
  assert.equal(check([legacyLeaf, legacyIca, legacyRoot])?.rule, 'missing-authority-key-identifier', 'the leaf first');
  assert.equal(check([legacyLeaf, legacyIca, legacyRoot], 'legacy'), undefined);
  const onlyRoot = forgeRoot('CN=Non-critical Root', { basicConstraintsCritical: false });
  assert.equal(check([forgeLeaf(onlyRoot, 'CN=d'), onlyRoot])?.rule, 'root-basic-constraints-not-critical');
  assert.equal(check([forgeLeaf(onlyRoot, 'CN=d'), onlyRoot], 'legacy'), undefined);
  const noAki = forgeLeaf(root, 'CN=d', { authorityKeyIdentifier: false });
  assert.equal(check([noAki, root])?.rule, 'missing-authority-key-identifier');
  assert.equal(check([noAki, root], 'legacy'), undefined);
  const weak = forgeLeaf(legacyIca, 'CN=weak', { key: newKey('p192'), authorityKeyIdentifier: false });
  assert.equal(check([weak, legacyIca, legacyRoot], 'legacy')?.rule, 'weak-ec-curve', 'nothing else is relaxed');
});

test('rules of every position are applied: a CA leaf, an intermediate that is no CA, a weak anchor', () => {
  assert.equal(check([forgeLeaf(root, 'CN=ca-leaf', { ca: true }), root])?.rule, 'leaf-is-ca');
  const notCa = forgeIntermediate(root, 'CN=Not a CA', { ca: null });
  assert.equal(check([forgeLeaf(notCa, 'CN=d'), notCa, root])?.rule, 'ca-basic-constraints-missing');
  const weakRoot = forgeRoot('CN=Weak Root', { key: newKey({ rsa: 1024 }) });
  assert.equal(check([forgeLeaf(weakRoot, 'CN=d'), weakRoot])?.rule, 'weak-rsa-key');
});

test('the trust anchor presented as the leaf is refused', () => {
  assert.equal(check([root, root])?.rule, 'leaf-is-ca');
});

test('never throws: garbage, truncated and empty input are unparsable-certificate', () => {
  for (const bytes of [
    randomBytes(300),
    leaf.der.subarray(0, 100),
    new Uint8Array(0),
    Buffer.concat([leaf.der, Buffer.from([0])]),
  ]) {
    const found = checkClientChain({ leaf: bytes, intermediates: [], anchor: root.der, compatibility: 'strict' });
    assert.equal(found?.rule, 'unparsable-certificate');
  }
  assert.equal(
    checkClientChain({ leaf: leaf.der, intermediates: [randomBytes(64)], anchor: root.der, compatibility: 'strict' })
      ?.rule,
    'unparsable-certificate',
  );
});

test('checkCaCertificate: the rules a CA must meet on its own, by role and compatibility', () => {
  assert.equal(checkCaCertificate(root.der, 'strict'), undefined);
  assert.equal(checkCaCertificate(ica.der, 'strict'), undefined);
  const noSki = forgeRoot('CN=No SKI', { subjectKeyIdentifier: false });
  assert.equal(checkCaCertificate(noSki.der, 'strict')?.rule, 'missing-subject-key-identifier');
  assert.equal(checkCaCertificate(noSki.der, 'legacy'), undefined);
  const nonCritical = forgeRoot('CN=NC', { basicConstraintsCritical: false });
  assert.equal(checkCaCertificate(nonCritical.der, 'strict')?.rule, 'root-basic-constraints-not-critical');
  assert.equal(checkCaCertificate(nonCritical.der, 'legacy'), undefined);
  const nonCriticalIca = forgeIntermediate(root, 'CN=NC ICA', { basicConstraintsCritical: false });
  assert.equal(checkCaCertificate(nonCriticalIca.der, 'strict'), undefined, 'a rule of roots only');
  const noAki = forgeIntermediate(root, 'CN=No AKI', { authorityKeyIdentifier: false });
  assert.equal(checkCaCertificate(noAki.der, 'strict')?.rule, 'missing-authority-key-identifier');
  const empty = forgeRoot('CN=Empty NC', { nameConstraints: {} });
  assert.equal(checkCaCertificate(empty.der, 'legacy')?.rule, 'name-constraints-empty');
  const weak = forgeRoot('CN=Weak', { key: newKey('dsa') });
  assert.equal(checkCaCertificate(weak.der, 'legacy')?.rule, 'dsa-key');
  assert.equal(checkCaCertificate(randomBytes(100), 'strict'), undefined, 'left to the caller');
});
