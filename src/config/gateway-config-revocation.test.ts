/**
 * readGatewayConfig over `cas[].revocation` and `blocked_certificates`: the model, and refusals
 * that name the file, key path and line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readGatewayConfig } from './gateway-config-schema.ts';

const withRevocation = (revocation: string, account = ''): string => `accounts:
  - name: acme
    cas:
      - name: fleet
        file: ./fleet.pem
        revocation:
${revocation}${account}`;

const refused = (text: string, message: RegExp): void => {
  assert.throws(
    () => readGatewayConfig(text, 'p.yaml'),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'GW_ERR_CONFIG_INVALID');
      assert.match(error.message, message);
      return true;
    },
  );
};

test('settings, CRL file and block list; `crl_fetch` and `ocsp` turn on by being there', () => {
  const config = readGatewayConfig(
    withRevocation(
      `          crl: ./fleet.crl
          crl_fetch: { urls: ['http://crl.example/fleet.crl'], refresh_interval_seconds: 600 }
          ocsp: {}
          on_unavailable: fail_open
          blocked:
            - sha256: 'ab'
            - serial: '0A1B'
              description: lost
            - file: ./device.pem
`,
      `    blocked_certificates:
      - serial: '01'
`,
    ),
    'p.yaml',
  );
  const [account] = config.accounts;
  const revocation = account?.cas[0]?.revocation;
  assert.ok(revocation !== undefined);
  assert.deepEqual(revocation.settings, {
    on_unavailable: 'fail_open',
    allow_private_addresses: undefined,
    crl_fetch: {
      enabled: true,
      urls: ['http://crl.example/fleet.crl'],
      refresh_interval_seconds: 600,
      timeout_ms: undefined,
    },
    ocsp: { enabled: true, timeout_ms: undefined, nonce: undefined, max_cache_seconds: undefined },
  });
  assert.equal(revocation.crl?.value, './fleet.crl');
  assert.deepEqual(
    revocation.blocked.map((block) =>
      'file' in block ? block.file.value : 'sha256' in block ? block.sha256 : block.serial,
    ),
    ['ab', '0A1B', './device.pem'],
  );
  assert.equal(revocation.blocked[1]?.description, 'lost');
  assert.equal(account?.blockedCertificates?.value.length, 1);
  const without = readGatewayConfig(
    'accounts:\n  - name: acme\n    cas:\n      - name: fleet\n        file: ./fleet.pem\n',
    'p.yaml',
  );
  assert.equal(without.accounts[0]?.cas[0]?.revocation, undefined, 'left out: not the file business');
  assert.equal(without.accounts[0]?.blockedCertificates, undefined);
});

test('unknown keys and ambiguous block entries are refused where they are written', () => {
  refused(
    withRevocation('          crl_url: http://x/\n'),
    /accounts\[0\]\.cas\[0\]\.revocation\.crl_url \(line 7\): unknown key "crl_url"/,
  );
  refused(withRevocation('          ocsp: { timeout: 5 }\n'), /revocation\.ocsp\.timeout .*unknown key "timeout"/);
  refused(
    withRevocation("          blocked:\n            - sha256: 'ab'\n              serial: '01'\n"),
    /revocation\.blocked\[0\] \(line 8\): give exactly one of sha256, serial and file/,
  );
  refused(withRevocation('          blocked:\n            - {}\n'), /give exactly one of sha256, serial and file/);
});
