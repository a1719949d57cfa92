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
        apis:
          - name: orders
            hostname: api.example.com
            listen_path: /orders
            upstream_url: http://127.0.0.1:3001
            auth:
              mode: mtls_static
              token_required: true
              allowed_certificates:
                - file: ./device.pem
                - sha256: ${'ab'.repeat(32)}
            rate_limit: { rate: 100, per: 60 }
    policies:
      - name: gold
        access_rights:
          - api: orders
            methods: [GET]
            paths: ['/orders/*']
        quota: { max: 1000, renewal_rate: 3600 }
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
      upstream_timeout_ms: undefined,
      description: 'v1',
    });
    assert.equal(zone.routes[0].whereOf.upstream, 'portcullis.yaml: accounts[0].zones[0].routes[0].upstream (line 21)');
    assert.deepEqual(
      zone.mtlsRule?.hostnames.map((hostname) => hostname.value),
      ['api.example.com'],
    );
    assert.equal(zone.rules[0]?.rule.action, 'block');
  });

  test('reads APIs and policies in the admin API wire format, an allowlist file apart', () => {
    const account = readGatewayConfig(FULL, 'portcullis.yaml').accounts[0]!;
    const api = account.zones[0]!.apis[0]!;
    assert.deepEqual(api.input, {
      name: 'orders',
      hostname: 'api.example.com',
      listen_path: '/orders',
      upstream_url: 'http://127.0.0.1:3001',
      strip_listen_path: undefined,
      upstream_timeout_ms: undefined,
      protocol: undefined,
      active: undefined,
      auth: { mode: 'mtls_static', token_required: true },
      rate_limit: { rate: 100, per: 60 },
    });
    assert.deepEqual(api.allowedCertificates, [
      {
        where: 'portcullis.yaml: accounts[0].zones[0].apis[0].auth.allowed_certificates[0].file (line 38)',
        file: {
          value: './device.pem',
          where: 'portcullis.yaml: accounts[0].zones[0].apis[0].auth.allowed_certificates[0].file (line 38)',
        },
      },
      {
        where: 'portcullis.yaml: accounts[0].zones[0].apis[0].auth.allowed_certificates[1].sha256 (line 39)',
        input: { sha256: 'ab'.repeat(32) },
      },
    ]);
    assert.equal(
      api.whereOf['rate_limit.per'],
      'portcullis.yaml: accounts[0].zones[0].apis[0].rate_limit.per (line 40)',
    );
    assert.equal(api.whereOf['auth.mode'], 'portcullis.yaml: accounts[0].zones[0].apis[0].auth.mode (line 35)');

    const policies = account.policies!;
    assert.equal(policies.where, 'portcullis.yaml: accounts[0].policies (line 42)');
    const [gold] = policies.value;
    assert.deepEqual(gold?.input, {
      name: 'gold',
      rate_limit: undefined,
      quota: { max: 1000, renewal_rate: 3600 },
      active: undefined,
    });
    assert.deepEqual(gold.accessRights[0]?.api?.value, 'orders');
    assert.equal(gold.accessRights[0].apiId, undefined);
    assert.deepEqual(gold.accessRights[0].paths, ['/orders/*']);
    assert.equal(
      gold.whereOf['access_rights[0].methods'],
      'portcullis.yaml: accounts[0].policies[0].access_rights[0].methods (line 45)',
    );
  });

  test('policies: left out is undefined (not managed), an empty list is an empty list', () => {
    const without = readGatewayConfig('accounts:\n  - name: a\n', 'f.yaml').accounts[0]!;
    assert.equal(without.policies, undefined);
    const empty = readGatewayConfig('accounts:\n  - name: a\n    policies: []\n', 'f.yaml').accounts[0]!;
    assert.deepEqual(empty.policies?.value, []);
  });

  test("upstream_timeout_ms of routes and APIs: a number, passed on as written (the range is the services' check)", () => {
    const zone = readGatewayConfig(
      variant(
        '            strip_prefix: true',
        '            strip_prefix: true\n            upstream_timeout_ms: 2500',
      ),
      'portcullis.yaml',
    ).accounts[0]!.zones[0]!;
    assert.equal(zone.routes[0]?.input.upstream_timeout_ms, 2500);
    const api = readGatewayConfig(
      variant(
        '            listen_path: /orders',
        '            listen_path: /orders\n            upstream_timeout_ms: 10000',
      ),
      'portcullis.yaml',
    ).accounts[0]!.zones[0]!.apis[0]!;
    assert.equal(api.input.upstream_timeout_ms, 10_000);
    assert.match(
      refusal(
        variant(
          '            strip_prefix: true',
          '            strip_prefix: true\n            upstream_timeout_ms: 30s',
        ),
      ),
      /routes\[0\]\.upstream_timeout_ms \(line \d+\): must be a number/,
    );
  });

  test('APIs and policies refuse unknown keys, wrong types, repeated names and unknown API names', () => {
    assert.match(
      refusal(variant('            listen_path: /orders', '            listen_pth: /orders')),
      /zones\[0\]\.apis\[0\]\.listen_pth \(line 32\): unknown key "listen_pth"/,
    );
    assert.match(
      refusal(variant('              token_required: true', '              token: true')),
      /apis\[0\]\.auth\.token \(line 36\): unknown key "token" \(allowed here: mode, token_required, allowed_certificates\)/,
    );
    assert.match(
      refusal(
        variant(
          '                - file: ./device.pem',
          '                - file: ./device.pem\n                  sha256: ab',
        ),
      ),
      /allowed_certificates\[0\] \(line 38\): must have exactly one of mtls_certificate_id, client_certificate_id, sha256, file/,
    );
    assert.match(
      refusal(variant('{ rate: 100, per: 60 }', '{ rate: "100", per: 60 }')),
      /apis\[0\]\.rate_limit\.rate \(line 40\): must be a number/,
    );
    // Keys are not in the file: their secrets are shown once, at creation.
    assert.match(
      refusal(variant('    policies:', '    keys: []\n    policies:')),
      /accounts\[0\]\.keys \(line 41\): unknown key "keys" \(allowed here: name, cas, zones, policies, blocked_certificates, portal_products\)/,
    );
    assert.match(
      refusal(variant('          - api: orders', '          - api: orders\n            api_id: 0123')),
      /access_rights\[0\] \(line 44\): must have exactly one of api \(the name of an API of this file\) and api_id/,
    );
    assert.match(
      refusal(variant('          - api: orders', '          - api: order')),
      /access_rights\[0\]\.api \(line 44\): no API named "order" in this account's zones \(known: "orders"\); use api_id/,
    );
    assert.match(
      refusal(variant('      - name: gold\n', '      - name: gold\n      - name: " gold"\n')),
      /policies\[1\] \(line 43\): policy name "gold" is already declared at portcullis\.yaml: accounts\[0\]\.policies\[0\]/,
    );
    const twice = variant(
      '    policies:',
      `          - name: orders\n            hostname: api.example.com\n            upstream_url: http://x\n            auth: { mode: keyless }\n    policies:`,
    );
    assert.match(
      refusal(twice),
      /apis\[1\] \(line 41\): API name "orders" is already declared at .*apis\[0\] \(line 30\)/,
    );
  });

  test('an `api:` name declared in two zones of the account is ambiguous', () => {
    const text = `accounts:
  - name: a
    zones:
      - name: one.test
        apis: [{ name: orders, hostname: one.test, upstream_url: http://x, auth: { mode: keyless } }]
      - name: two.test
        apis: [{ name: orders, hostname: two.test, upstream_url: http://x, auth: { mode: keyless } }]
    policies:
      - name: p
        access_rights: [{ api: orders }]
`;
    assert.match(
      refusal(text),
      /policies\[0\]\.access_rights\[0\]\.api \(line 10\): APIs named "orders" are declared in zones one\.test, two\.test/,
    );
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

  test('the compatibility of a CA: strict unless the file says legacy; nothing else is accepted', () => {
    const strict = readGatewayConfig(FULL, 'portcullis.yaml').accounts[0]?.cas[0];
    assert.equal(strict?.compatibility.value, 'strict');
    const legacyText = variant(
      '        file: ./partner-ca.pem\n',
      '        file: ./partner-ca.pem\n        compatibility: legacy\n',
    );
    const legacy = readGatewayConfig(legacyText, 'portcullis.yaml').accounts[0]?.cas[0];
    assert.deepEqual(legacy?.compatibility, {
      value: 'legacy',
      where: 'portcullis.yaml: accounts[0].cas[0].compatibility (line 7)',
    });
    assert.match(
      refusal(
        variant('        file: ./partner-ca.pem\n', '        file: ./partner-ca.pem\n        compatibility: lax\n'),
      ),
      /cas\[0\]\.compatibility \(line 7\): must be one of strict, legacy; got "lax"/,
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
