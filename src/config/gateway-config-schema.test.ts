/**
 * readGatewayConfig over good and bad YAML: the model it builds, and every refusal names the file,
 * the key path and the line (GW_ERR_CONFIG_INVALID, exit code 3).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../errors/index.ts';
import { readGatewayConfig } from './gateway-config-schema.ts';

const FULL = `
accounts:
  - name: acme
    cas:
      - name: partner-ca
        file: ./partner-ca.pem
    zones:
      - name: example.com
        edge_certificates:
          - cert: ./api.pem
            key: ./api-key.pem
        mtls:
          - ca: managed
            hostnames: [api.example.com]
          - ca: partner-ca
            hostnames: [partner.example.com]
        identity_headers: [xfcc, cf]
        routes:
          - hostname: api.example.com
            path_prefix: /v1
            upstream: http://127.0.0.1:3000
            strip_prefix: true
            description: v1
        mtls_rule: [api.example.com]
        rules:
          - expression: 'http.request.uri.path eq "/admin"'
            action: block
            description: no admin
`;

/** The refusal's message (asserting it is a GW_ERR_CONFIG_INVALID with exit code 3). */
function refusal(text: string): string {
  try {
    readGatewayConfig(text, 'portcullis.yaml');
  } catch (error) {
    assert.ok(error instanceof GatewayError, String(error));
    assert.equal(error.code, 'GW_ERR_CONFIG_INVALID');
    assert.equal(error.exitCode, 3);
    return error.message;
  }
  assert.fail('accepted');
}

/** FULL with one line replaced. */
const variant = (line: string, replacement: string): string => {
  assert.ok(FULL.includes(line), line);
  return FULL.replace(line, replacement);
};

describe('readGatewayConfig', () => {
  test('reads the documented example into the model, with where each item was written', () => {
    const config = readGatewayConfig(FULL, 'portcullis.yaml');
    const [account] = config.accounts;
    assert.equal(account?.name, 'acme');
    assert.deepEqual(account.cas[0]?.file, {
      value: './partner-ca.pem',
      where: 'portcullis.yaml: accounts[0].cas[0].file (line 6)',
    });
    const zone = account.zones[0]!;
    assert.equal(zone.name, 'example.com');
    assert.equal(zone.edgeCertificates[0]?.key.value, './api-key.pem');
    assert.deepEqual(
      zone.mtls.map((entry) => [entry.ca, entry.hostnames.map((hostname) => hostname.value)]),
      [
        ['managed', ['api.example.com']],
        ['partner-ca', ['partner.example.com']],
      ],
    );
    assert.deepEqual(zone.identityHeaders?.value, ['xfcc', 'cf']);
    assert.deepEqual(zone.routes[0]?.input, {
      hostname: 'api.example.com',
      path_prefix: '/v1',
      upstream: 'http://127.0.0.1:3000',
      strip_prefix: true,
      description: 'v1',
    });
    assert.equal(zone.routes[0].whereOf.upstream, 'portcullis.yaml: accounts[0].zones[0].routes[0].upstream (line 21)');
    assert.deepEqual(
      zone.mtlsRule?.hostnames.map((hostname) => hostname.value),
      ['api.example.com'],
    );
    assert.equal(zone.rules[0]?.rule.action, 'block');
  });

  test('an empty file declares nothing; left-out keys are empty, identity headers undefined', () => {
    assert.deepEqual(readGatewayConfig('', 'f.yaml').accounts, []);
    assert.deepEqual(readGatewayConfig('# nothing yet\n', 'f.yaml').accounts, []);
    const text = 'accounts:\n  - name: a\n    zones:\n      - name: a.test\n';
    const zone = readGatewayConfig(text, 'f.yaml').accounts[0]!.zones[0]!;
    assert.deepEqual(zone.routes, []);
    assert.deepEqual(zone.mtls, []);
    assert.equal(zone.identityHeaders, undefined);
    assert.equal(zone.mtlsRule, undefined);
  });

  test('mtls_rule takes a list of hostnames or a map with action and check_revoked', () => {
    const text = variant(
      '        mtls_rule: [api.example.com]',
      '        mtls_rule:\n          hostnames: [api.example.com]\n          action: log\n          check_revoked: false',
    );
    const rule = readGatewayConfig(text, 'f.yaml').accounts[0]!.zones[0]!.mtlsRule;
    assert.equal(rule?.action, 'log');
    assert.equal(rule.checkRevoked, false);
  });

  test('YAML that does not parse is refused with its line', () => {
    assert.match(
      refusal('accounts:\n  - name: a\n  name: b\n   x: [\n'),
      /^Configuration refused: portcullis\.yaml \(line \d+, column \d+\): not valid YAML/,
    );
    assert.match(
      refusal('accounts: []\naccounts: []\n'),
      /\(line 2, column 1\): not valid YAML: Map keys must be unique/,
    );
    assert.match(refusal('accounts: []\n---\naccounts: []\n'), /not valid YAML/);
  });

  test('an unknown key is refused at any level, naming its path, line and the keys allowed there', () => {
    assert.match(
      refusal('acounts: []\n'),
      /portcullis\.yaml: acounts \(line 1\): unknown key "acounts" \(allowed here: accounts\)/,
    );
    assert.match(
      refusal(variant('        mtls:', '        mtsl:')),
      /accounts\[0\]\.zones\[0\]\.mtsl \(line 12\): unknown key "mtsl"/,
    );
    assert.match(
      refusal(variant('            strip_prefix: true', '            strip_prefx: true')),
      /accounts\[0\]\.zones\[0\]\.routes\[0\]\.strip_prefx \(line 22\): unknown key/,
    );
    assert.match(
      refusal(variant('            action: block', '            action: block\n            position: 1')),
      /rules\[0\]\.position \(line 28\): unknown key/,
    );
  });

  test('values of the wrong type are refused where they are', () => {
    assert.match(
      refusal(variant('            strip_prefix: true', '            strip_prefix: "no"')),
      /routes\[0\]\.strip_prefix \(line 22\): must be true or false/,
    );
    // YAML 1.2: `yes` is a string, not a boolean.
    assert.match(
      refusal(variant('            strip_prefix: true', '            strip_prefix: yes')),
      /must be true or false/,
    );
    assert.match(
      refusal(variant('            hostnames: [api.example.com]', '            hostnames: api.example.com')),
      /mtls\[0\]\.hostnames \(line 14\): must be a list/,
    );
    assert.match(
      refusal(variant('  - name: acme', '  - name: 42')),
      /accounts\[0\]\.name \(line 3\): must be a string/,
    );
    assert.match(refusal(variant('  - name: acme', '  - name:')), /accounts\[0\] \(line 3\): missing name/);
    assert.match(refusal('accounts:\n  acme: {}\n'), /accounts \(line 2\): must be a list/);
    assert.match(
      refusal(variant('            action: block', '            action: challenge')),
      /action \(line 27\): must be one of block, log, skip; got "challenge"/,
    );
    assert.match(
      refusal(variant('[xfcc, cf]', '[xfcc, envoy]')),
      /identity_headers\[1\] \(line 17\): must be one of xfcc, rfc9440, cf/,
    );
  });

  test('names used twice are refused, pointing at both places', () => {
    const twoAccounts = `accounts:\n  - name: a\n  - name: a\n`;
    assert.match(
      refusal(twoAccounts),
      /accounts\[1\] \(line 3\): account name "a" is already declared at portcullis\.yaml: accounts\[0\] \(line 2\)/,
    );
    const twoZones = `accounts:\n  - name: a\n    zones: [{name: Example.com}]\n  - name: b\n    zones: [{name: example.com.}]\n`;
    assert.match(refusal(twoZones), /accounts\[1\]\.zones\[0\] \(line 5\): zone "example\.com" is already declared/);
    assert.match(
      refusal(
        variant(
          '      - name: partner-ca\n',
          '      - name: partner-ca\n        file: ./a.pem\n      - name: partner-ca\n',
        ),
      ),
      /cas\[1\] \(line 7\): CA name "partner-ca" is already declared/,
    );
    assert.match(
      refusal(variant('          - ca: partner-ca', '          - ca: managed')),
      /mtls\[1\] \(line 15\): an mtls entry for CA "managed" is already declared/,
    );
    assert.match(refusal(variant('[xfcc, cf]', '[xfcc, xfcc]')), /identity header format "xfcc" is already declared/);
  });

  test('CA references: `managed` or a CA of the same account; no CA may be named managed', () => {
    assert.match(
      refusal(variant('          - ca: partner-ca', '          - ca: partner')),
      /mtls\[1\]\.ca \(line 15\): no CA named "partner" in this account's cas \(known: managed, partner-ca\)/,
    );
    assert.match(
      refusal(variant('      - name: partner-ca\n', '      - name: managed\n')),
      /cas\[0\]\.name \(line 5\): "managed" means the account's managed CA/,
    );
  });

  test('anchors and aliases are refused', () => {
    const text = variant('            hostnames: [api.example.com]', '            hostnames: &hosts [api.example.com]');
    assert.match(refusal(text.replace('hostnames: [partner.example.com]', 'hostnames: *hosts')), /aliases/);
  });

  test('a private key pasted where a file path belongs is never repeated', () => {
    const key =
      '-----BEGIN PRIVATE KEY-----\\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\\n-----END PRIVATE KEY-----';
    const message = refusal(variant('key: ./api-key.pem', `key: "${key}"`));
    assert.match(message, /edge_certificates\[0\]\.key \(line 11\): must be on one line/);
    assert.doesNotMatch(message, /BEGIN|MIGHAgEA/);
    const unknown = refusal(`"-----BEGIN PRIVATE KEY----- MIGHAgEA": 1\n`);
    assert.doesNotMatch(unknown, /MIGHAgEA/);
  });
});
