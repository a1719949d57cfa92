import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  forgeCertificate,
  forgeIntermediate,
  forgeLeaf,
  forgeRoot,
  type Forged,
} from '../../../test/helpers/forge-certificate.ts';
import { ChainVerdictCache, judgeClientChain, type ClientTrust } from './client-chain-verdict.ts';

const DAY = 86_400_000;
const node = (forged: Forged): X509Certificate => new X509Certificate(forged.der);
const trustOf = (cas: Forged[], legacy: Forged[] = []): ClientTrust => ({
  trustedCas: cas.map(node),
  legacyCaFingerprints: new Set(legacy.map((ca) => node(ca).fingerprint256)),
  trustId: `${cas.map((ca) => ca.subject).join('+')}|${legacy.length}`,
});

const root = forgeRoot('CN=Verdict Root');
const ica = forgeIntermediate(root, 'CN=Verdict ICA');

test('a conforming chain: the verified path, no violation, judged strict', () => {
  const leaf = forgeLeaf(ica, 'CN=d');
  const verdict = judgeClientChain(node(leaf), [node(ica)], trustOf([root]), Date.now());
  assert.equal(verdict.violation, undefined);
  assert.equal(verdict.compatibility, 'strict');
  assert.deepEqual(
    verdict.path?.map((certificate) => certificate.subject),
    ['CN=d', 'CN=Verdict ICA', 'CN=Verdict Root'],
  );
});

test("the compatibility is the trust anchor's", () => {
  const legacyRoot = forgeRoot('CN=Legacy Verdict Root', { subjectKeyIdentifier: false });
  const leaf = forgeLeaf(legacyRoot, 'CN=d', { authorityKeyIdentifier: false });
  assert.equal(
    judgeClientChain(node(leaf), [], trustOf([legacyRoot]), Date.now()).violation?.rule,
    'missing-authority-key-identifier',
  );
  const verdict = judgeClientChain(node(leaf), [], trustOf([legacyRoot], [legacyRoot]), Date.now());
  assert.equal(verdict.violation, undefined);
  assert.equal(verdict.compatibility, 'legacy');
});

test("of two paths, the first that meets the policy wins; with none, the preferred path's violation", () => {
  // The same intermediate (name and key) certified twice: by a constrained root and by a plain one.
  const constrained = forgeRoot('CN=Constrained', { nameConstraints: { excluded: [{ dns: 'device.example.com' }] } });
  const plain = forgeRoot('CN=Plain');
  const viaConstrained = forgeIntermediate(constrained, 'CN=Shared ICA');
  const viaPlain = forgeCertificate({ subject: 'CN=Shared ICA', key: viaConstrained.key, issuer: plain, ca: true });
  const leaf = forgeLeaf(viaConstrained, 'CN=d', { san: [{ dns: 'device.example.com' }] });
  const both = judgeClientChain(
    node(leaf),
    [node(viaConstrained), node(viaPlain)],
    trustOf([constrained, plain]),
    Date.now(),
  );
  assert.equal(both.violation, undefined);
  assert.equal(both.path?.at(-1)?.subject, 'CN=Plain');
  const one = judgeClientChain(node(leaf), [node(viaConstrained)], trustOf([constrained]), Date.now());
  assert.equal(one.violation?.rule, 'name-constraints-violated');
});

test('no path to a trusted root is a violation, not an exception', () => {
  const verdict = judgeClientChain(node(forgeLeaf(forgeRoot('CN=Elsewhere'), 'CN=d')), [], trustOf([root]), Date.now());
  assert.equal(verdict.violation?.rule, 'no-certification-path');
  assert.equal(verdict.path, undefined);
});

test("the cache judges a chain once per trust set, and hands back the connection's own certificates", () => {
  const cache = new ChainVerdictCache(10);
  const leafForged = forgeLeaf(ica, 'CN=cached');
  const trust = trustOf([root]);
  const first = cache.verdict(node(leafForged), [node(ica)], trust, Date.now());
  const secondLeaf = node(leafForged);
  const second = cache.verdict(secondLeaf, [node(ica)], trust, Date.now());
  assert.equal(cache.size, 1);
  assert.equal(second.path?.[0], secondLeaf, "the path is made of this connection's objects");
  assert.deepEqual(second.violation, first.violation);
  cache.verdict(node(leafForged), [node(ica)], trustOf([root], [root]), Date.now());
  assert.equal(cache.size, 2, 'another trust set (compatibility) is another entry');
});

test('the cache judges again once a certificate of the cached path has expired', () => {
  const cache = new ChainVerdictCache(10);
  const soon = forgeCertificate({
    subject: 'CN=Verdict ICA',
    key: ica.key,
    issuer: root,
    ca: true,
    notAfter: new Date(Date.now() + DAY),
  });
  const leaf = forgeLeaf(ica, 'CN=d');
  const sent = [node(soon), node(ica)];
  const now = cache.verdict(node(leaf), sent, trustOf([root]), Date.now());
  assert.equal(now.path?.[1]?.fingerprint256, node(soon).fingerprint256, 'both valid: the first sent');
  const later = cache.verdict(node(leaf), sent, trustOf([root]), Date.now() + 2 * DAY);
  assert.equal(later.path?.[1]?.fingerprint256, node(ica).fingerprint256, 'the expired one is passed over');
});
