import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorityInfoAccessSyntax, AccessDescription, GeneralName } from '@peculiar/asn1-x509';
import { extension, forgeLeaf, forgeRoot, OID, type ForgeOptions } from '../../test/helpers/forge-certificate.ts';
import { parseChainCertificate } from './chain-certificate.ts';
import { extensionsViolation } from './chain-rule-extensions.ts';

const root = forgeRoot('CN=Extensions Root');
const ruleOf = (options: Partial<ForgeOptions>): string | undefined =>
  extensionsViolation(parseChainCertificate(forgeLeaf(root, 'CN=device', options).der)!)?.rule;
const aia = new AuthorityInfoAccessSyntax([
  new AccessDescription({
    accessMethod: '1.3.6.1.5.5.7.48.2',
    accessLocation: new GeneralName({ uniformResourceIdentifier: 'http://ca.example/ca.crt' }),
  }),
]);

test('a leaf with ordinary extensions, a good SAN and an AIA breaks no extension rule', () => {
  const options = {
    san: [{ dns: 'device.example.com' }, { email: 'ops@example.com' }, { ip: [10, 0, 0, 1] }, { uri: 'spiffe://x/y' }],
    extensions: [extension(OID.authorityInfoAccess, aia)],
  };
  assert.equal(ruleOf(options), undefined);
});

test('duplicate-extension: the same extension twice', () => {
  const san = extension(OID.subjectAltName, new Uint8Array([0x30, 0x03, 0x82, 0x01, 0x61]));
  assert.equal(ruleOf({ extensions: [san, san] }), 'duplicate-extension');
});

test('unknown-critical-extension: a private OID marked critical, and a critical AIA', () => {
  assert.equal(
    ruleOf({ extensions: [extension('1.3.6.1.4.1.55738.666.1', new Uint8Array([5, 0]), true)] }),
    'unknown-critical-extension',
  );
  assert.equal(ruleOf({ extensions: [extension(OID.authorityInfoAccess, aia, true)] }), 'unknown-critical-extension');
  assert.equal(ruleOf({ extensions: [extension('1.3.6.1.4.1.55738.666.1', new Uint8Array([5, 0]))] }), undefined);
});

test('malformed-subject-alt-name: ASCII instead of DER, no entry, control bytes, an 8-octet iPAddress', () => {
  const ascii = extension(OID.subjectAltName, Buffer.from('example.com'));
  assert.equal(ruleOf({ extensions: [ascii] }), 'malformed-subject-alt-name');
  assert.equal(ruleOf({ san: [] }), 'malformed-subject-alt-name');
  assert.equal(ruleOf({ san: [{ dns: 'a\nb.example.com' }] }), 'malformed-subject-alt-name');
  assert.equal(ruleOf({ san: [{ uri: 'https://x\u0000.example/' }] }), 'malformed-subject-alt-name');
  assert.equal(ruleOf({ san: [{ email: '' }] }), 'malformed-subject-alt-name');
  assert.equal(ruleOf({ san: [{ ip: [192, 0, 2, 0, 255, 255, 255, 0] }] }), 'malformed-subject-alt-name');
});

test('malformed-authority-info-access: not a sequence of AccessDescription, or empty', () => {
  assert.equal(
    ruleOf({ extensions: [extension(OID.authorityInfoAccess, Buffer.from('http://ca'))] }),
    'malformed-authority-info-access',
  );
  assert.equal(
    ruleOf({ extensions: [extension(OID.authorityInfoAccess, new Uint8Array([0x30, 0x00]))] }),
    'malformed-authority-info-access',
  );
});
