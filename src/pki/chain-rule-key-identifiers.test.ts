import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import {
  extension,
  forgeIntermediate,
  forgeLeaf,
  forgeRoot,
  type Forged,
} from '../../test/helpers/forge-certificate.ts';
import { parseChainCertificate } from './chain-certificate.ts';
import { keyIdentifierViolation } from './chain-rule-key-identifiers.ts';
import type { PathPosition } from './chain-violation.ts';

const ruleOf = (forged: Forged, position: PathPosition): string | undefined =>
  keyIdentifierViolation(parseChainCertificate(forged.der)!, position)?.rule;
const root = forgeRoot('CN=Key Identifier Root');

test('a root with an SKI (and no AKI), an intermediate and a leaf with both break no rule', () => {
  assert.equal(ruleOf(root, 'anchor'), undefined);
  assert.equal(ruleOf(forgeIntermediate(root, 'CN=Issuing CA'), 'intermediate'), undefined);
  assert.equal(ruleOf(forgeLeaf(root, 'CN=device', { subjectKeyIdentifier: false }), 'leaf'), undefined);
});

test('missing-subject-key-identifier: a root or an intermediate without SKI', () => {
  assert.equal(
    ruleOf(forgeRoot('CN=No SKI', { subjectKeyIdentifier: false }), 'anchor'),
    'missing-subject-key-identifier',
  );
  assert.equal(
    ruleOf(forgeIntermediate(root, 'CN=No SKI CA', { subjectKeyIdentifier: false }), 'intermediate'),
    'missing-subject-key-identifier',
  );
});

test('missing-authority-key-identifier: a leaf or an intermediate without AKI, or an AKI without keyIdentifier', () => {
  assert.equal(
    ruleOf(forgeLeaf(root, 'CN=device', { authorityKeyIdentifier: false }), 'leaf'),
    'missing-authority-key-identifier',
  );
  assert.equal(
    ruleOf(forgeIntermediate(root, 'CN=Issuing CA', { authorityKeyIdentifier: false }), 'intermediate'),
    'missing-authority-key-identifier',
  );
  const issuerOnly = new AuthorityKeyIdentifier({
    authorityCertIssuer: new GeneralNames([new GeneralName({ dNSName: 'ca.example' })]),
    authorityCertSerialNumber: new Uint8Array([1]).buffer,
  });
  const akiWithoutKeyId = extension('2.5.29.35', new Uint8Array(AsnConvert.serialize(issuerOnly)));
  const leaf = forgeLeaf(root, 'CN=device', { authorityKeyIdentifier: false, extensions: [akiWithoutKeyId] });
  assert.equal(ruleOf(leaf, 'leaf'), 'missing-authority-key-identifier');
});
