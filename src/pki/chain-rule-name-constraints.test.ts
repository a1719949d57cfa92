import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  forgeCertificate,
  forgeIntermediate,
  forgeLeaf,
  forgeRoot,
  newKey,
  type Forged,
  type ForgeOptions,
  type NameSpec,
} from '../../test/helpers/forge-certificate.ts';
import { parseChainCertificate } from './chain-certificate.ts';
import { nameConstraintsViolation } from './chain-rule-name-constraints.ts';
import { SMTP_UTF8_MAILBOX } from './general-names.ts';

const label = (index: number): string => `#${index}`;
/** The rule broken by [leaf, ...above] (leaf first). */
const ruleOf = (...path: Forged[]): string | undefined =>
  nameConstraintsViolation(
    path.map((forged) => parseChainCertificate(forged.der)!),
    label,
  )?.rule;
const constrained = (permitted?: NameSpec[], excluded?: NameSpec[], options: Partial<ForgeOptions> = {}): Forged =>
  forgeRoot('CN=Constrained Root', {
    nameConstraints: { ...(permitted && { permitted }), ...(excluded && { excluded }) },
    ...options,
  });

test('a permitted dNSName: names within it pass, others are refused; so is the CN as a DNS name', () => {
  const root = constrained([{ dns: 'example.com' }]);
  assert.equal(ruleOf(forgeLeaf(root, 'CN=device', { san: [{ dns: 'foo.bar.example.com' }] }), root), undefined);
  assert.equal(
    ruleOf(forgeLeaf(root, 'CN=device', { san: [{ dns: 'not-example.com' }] }), root),
    'name-constraints-violated',
  );
  assert.equal(ruleOf(forgeLeaf(root, 'CN=evil.test'), root), 'name-constraints-violated', 'CN as DNS, no SAN');
  assert.equal(ruleOf(forgeLeaf(root, 'CN=device-42'), root), undefined, 'a one-label CN is not a DNS name');
  const withSan = forgeLeaf(root, 'CN=evil.test', { san: [{ dns: 'a.example.com' }] });
  assert.equal(ruleOf(withSan, root), undefined, 'with a dNSName the CN is not read as one');
});

test('excluded subtrees win over permitted ones, in any SAN position, from an intermediate too', () => {
  const both = constrained([{ dns: 'example.com' }], [{ dns: 'example.com' }]);
  assert.equal(ruleOf(forgeLeaf(both, 'CN=d', { san: [{ dns: 'example.com' }] }), both), 'name-constraints-violated');
  const root = forgeRoot('CN=Plain Root');
  const ica = forgeIntermediate(root, 'CN=ICA', { nameConstraints: { excluded: [{ dns: 'no.example.com' }] } });
  const leaf = forgeLeaf(ica, 'CN=d', { san: [{ dns: 'ok.example.com' }, { dns: 'x.no.example.com' }] });
  assert.equal(ruleOf(leaf, ica, root), 'name-constraints-violated');
});

test('an invalid DNS or email name under a constraint of its form is refused', () => {
  const dnsRoot = constrained([{ dns: 'example.com' }]);
  const badDns = forgeLeaf(dnsRoot, 'CN=d', { san: [{ dns: '.example.com' }, { dns: 'foo.example.com' }] });
  assert.equal(ruleOf(badDns, dnsRoot), 'name-constraints-violated');
  const mailRoot = constrained([{ email: 'example.com' }]);
  const good = forgeLeaf(mailRoot, 'CN=d', { san: [{ email: 'good@example.com' }] });
  assert.equal(ruleOf(good, mailRoot), undefined);
  const bad = forgeLeaf(mailRoot, 'CN=d', {
    san: [{ email: 'good@example.com' }, { email: 'invalid@address@example.com' }],
  });
  assert.equal(ruleOf(bad, mailRoot), 'name-constraints-violated');
  const unconstrained = forgeRoot('CN=Free Root');
  const odd = forgeLeaf(unconstrained, 'CN=d', { san: [{ email: 'invalid@address@example.com' }] });
  assert.equal(ruleOf(odd, unconstrained), undefined, 'no constraint of that form: nothing to place it in');
});

test('rfc822Name constraints apply to the subject emailAddress when there is no subjectAltName', () => {
  const root = constrained([{ email: 'example.com' }]);
  assert.equal(ruleOf(forgeLeaf(root, 'CN=d,E=ops@example.com'), root), undefined);
  assert.equal(ruleOf(forgeLeaf(root, 'CN=d,E=ops@evil.test'), root), 'name-constraints-violated');
  const smtpUtf8 = { otherName: { typeId: SMTP_UTF8_MAILBOX, valueDer: new Uint8Array([0x0c, 0x01, 0x61]) } };
  assert.equal(ruleOf(forgeLeaf(root, 'CN=d', { san: [smtpUtf8] }), root), 'name-constraints-violated');
});

test('URI and iPAddress constraints', () => {
  const uriRoot = constrained([{ uri: '.example.com' }]);
  assert.equal(ruleOf(forgeLeaf(uriRoot, 'CN=d', { san: [{ uri: 'spiffe://a.example.com/x' }] }), uriRoot), undefined);
  assert.equal(
    ruleOf(forgeLeaf(uriRoot, 'CN=d', { san: [{ uri: 'spiffe://example.com/x' }] }), uriRoot),
    'name-constraints-violated',
  );
  assert.equal(ruleOf(forgeLeaf(uriRoot, 'CN=d', { san: [{ uri: 'urn:x:y' }] }), uriRoot), 'name-constraints-violated');
  const ipRoot = constrained([{ ip: [192, 0, 2, 0, 255, 255, 255, 0] }]);
  assert.equal(ruleOf(forgeLeaf(ipRoot, 'CN=d', { san: [{ ip: [192, 0, 2, 1] }] }), ipRoot), undefined);
  assert.equal(
    ruleOf(forgeLeaf(ipRoot, 'CN=d', { san: [{ ip: [192, 0, 3, 1] }] }), ipRoot),
    'name-constraints-violated',
  );
  const otherForm = constrained([{ ip: [192, 0, 2, 0, 255, 255, 255, 0] }]);
  assert.equal(ruleOf(forgeLeaf(otherForm, 'CN=d', { san: [{ dns: 'example.com' }] }), otherForm), undefined);
});

test("an intermediate's names are constrained too; a self-issued intermediate is not, the leaf always is", () => {
  const root = constrained([{ dns: 'permitted.example.com' }], [{ dns: 'forbidden.example.com' }]);
  const ica = forgeIntermediate(root, 'CN=ICA', { san: [{ dns: 'forbidden.example.com' }] });
  const leaf = forgeLeaf(ica, 'CN=d', { san: [{ dns: 'permitted.example.com' }] });
  assert.equal(ruleOf(leaf, ica, root), 'name-constraints-violated');
  const rollover = forgeCertificate({
    subject: 'CN=Constrained Root',
    key: newKey(),
    issuer: root,
    ca: true,
    san: [{ dns: 'forbidden.example.com' }],
  });
  const underRollover = forgeLeaf(rollover, 'CN=d', { san: [{ dns: 'permitted.example.com' }] });
  assert.equal(ruleOf(underRollover, rollover, root), undefined);
});

test("narrowing: each CA's constraints apply, not the union", () => {
  const root = forgeRoot('CN=Plain Root');
  const ica1 = forgeIntermediate(root, 'CN=ICA1', {
    nameConstraints: { permitted: [{ dns: 'foo.example.com' }, { dns: 'bar.example.com' }] },
  });
  const ica2 = forgeIntermediate(ica1, 'CN=ICA2', { nameConstraints: { permitted: [{ dns: 'bar.example.com' }] } });
  const leaf = forgeLeaf(ica2, 'CN=d', { san: [{ dns: 'foo.example.com' }] });
  assert.equal(ruleOf(leaf, ica2, ica1, root), 'name-constraints-violated');
});

test('name-constraints-empty and name-constraints-malformed', () => {
  const leafOf = (root: Forged): Forged => forgeLeaf(root, 'CN=d', { san: [{ dns: 'example.com' }] });
  const empty = constrained([], []);
  assert.equal(ruleOf(leafOf(empty), empty), 'name-constraints-empty');
  const absent = constrained();
  assert.equal(ruleOf(leafOf(absent), absent), 'name-constraints-empty');
  const halfEmpty = constrained([{ dns: 'example.com' }], []);
  assert.equal(ruleOf(leafOf(halfEmpty), halfEmpty), 'name-constraints-malformed');
  const wildcard = constrained([{ dns: '*.example.com' }]);
  assert.equal(ruleOf(leafOf(wildcard), wildcard), 'name-constraints-malformed');
  const noMask = constrained([{ ip: [127, 0, 0, 1] }]);
  assert.equal(ruleOf(leafOf(noMask), noMask), 'name-constraints-malformed');
  const twoAts = constrained([{ email: 'invalid@invalid@example.com' }]);
  assert.equal(ruleOf(leafOf(twoAts), twoAts), 'name-constraints-malformed');
});

test('a constrained form the policy does not process refuses a name of that form', () => {
  const typeId = '1.3.6.1.4.1.55738.666.3';
  const otherName = { otherName: { typeId, valueDer: new Uint8Array([5, 0]) } };
  const root = constrained([{ dns: 'example.com' }], [otherName]);
  const withOther = forgeLeaf(root, 'CN=d', { san: [{ dns: 'example.com' }, otherName] });
  assert.equal(ruleOf(withOther, root), 'name-constraints-violated');
  assert.equal(ruleOf(forgeLeaf(root, 'CN=d', { san: [{ dns: 'example.com' }] }), root), undefined);
});
