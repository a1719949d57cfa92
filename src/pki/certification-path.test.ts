import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  forgeCertificate,
  forgeIntermediate,
  forgeLeaf,
  forgeRoot,
  newKey,
  type Forged,
} from '../../test/helpers/forge-certificate.ts';
import { certificationPaths } from './certification-path.ts';

const DAY = 86_400_000;
const node = (forged: Forged): X509Certificate => new X509Certificate(forged.der);
const names = (path: X509Certificate[]): string[] => path.map((certificate) => certificate.subject);

const root = forgeRoot('CN=Path Root');
const ica = forgeIntermediate(root, 'CN=Path ICA');
const leaf = forgeLeaf(ica, 'CN=path-device');
const oldRoot = forgeRoot('CN=Old Root');
/** The current root's name and key, certified by an old root, expired: what a client may still send along. */
const expiredCross = forgeCertificate({
  subject: 'CN=Path Root',
  key: root.key,
  issuer: oldRoot,
  ca: true,
  notBefore: new Date(Date.now() - 400 * DAY),
  notAfter: new Date(Date.now() - DAY),
});

test('leaf → sent intermediate → trusted root', () => {
  const paths = certificationPaths({ leaf: node(leaf), sent: [node(ica)], trusted: [node(root)], nowMs: Date.now() });
  assert.deepEqual(paths.map(names), [['CN=path-device', 'CN=Path ICA', 'CN=Path Root']]);
});

test('an expired cross-certificate the client sends along is not on the path: the trusted root is', () => {
  const sent = [node(ica), node(expiredCross), node(oldRoot)];
  const [path] = certificationPaths({ leaf: node(leaf), sent, trusted: [node(root)], nowMs: Date.now() });
  assert.deepEqual(
    path?.map((certificate) => certificate.fingerprint256),
    [leaf, ica, root].map((f) => node(f).fingerprint256),
  );
});

test('a trusted intermediate of the bundle is used when the client sends none; the path still ends at the root', () => {
  const paths = certificationPaths({ leaf: node(leaf), sent: [], trusted: [node(root), node(ica)], nowMs: Date.now() });
  assert.deepEqual(paths.map(names), [['CN=path-device', 'CN=Path ICA', 'CN=Path Root']]);
});

test('among two sent versions of the intermediate, the one valid now comes first', () => {
  const expiredIca = forgeCertificate({
    subject: 'CN=Path ICA',
    key: ica.key,
    issuer: root,
    ca: true,
    notBefore: new Date(Date.now() - 400 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const paths = certificationPaths({
    leaf: node(leaf),
    sent: [node(expiredIca), node(ica)],
    trusted: [node(root)],
    nowMs: Date.now(),
  });
  assert.equal(paths.length, 2);
  assert.equal(paths[0]![1]!.fingerprint256, node(ica).fingerprint256);
  assert.equal(paths[1]![1]!.fingerprint256, node(expiredIca).fingerprint256);
});

test('no path to a trusted root: nothing; a look-alike issuer with another key is not an issuer', () => {
  const stranger = forgeRoot('CN=Stranger');
  assert.deepEqual(
    certificationPaths({ leaf: node(forgeLeaf(stranger, 'CN=x')), sent: [], trusted: [node(root)], nowMs: Date.now() }),
    [],
  );
  const fakes = Array.from({ length: 20 }, () => node(forgeRoot('CN=Path ICA', { key: newKey() })));
  const paths = certificationPaths({ leaf: node(leaf), sent: fakes, trusted: [node(root)], nowMs: Date.now() });
  assert.deepEqual(paths, [], 'same name, wrong signatures: bounded search, no path');
});
