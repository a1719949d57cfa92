/**
 * `portcullis rule list|add|delete|mtls` as a user runs them: the real CLI as a child process against a real
 * `portcullis serve` (in-process, loopback). API refusals (a bad expression) end with a clear one-line message
 * and exit 1, usage errors with exit 2 before any request, never a stack trace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, type AdminServer } from '../helpers/admin-server.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { startCliFixture, succeeded, type CliFixture } from '../helpers/cli-fixture.ts';

const NO_STACK = /\n\s+at /;
const MTLS_EXPRESSION =
  '(http.host in {"api.cli-rules.test" "iot.cli-rules.test"} and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked))';

describe('portcullis rule', () => {
  let fixture: CliFixture;
  let server: AdminServer;
  let zoneId: string;

  before(async () => {
    fixture = await startCliFixture('rules', 'cli-rules.test');
    ({ server, zoneId } = fixture);
  });
  after(() => fixture.stop());

  const cli = (args: string[]): Promise<CliResult> => fixture.cli(args);

  const failed = (result: CliResult, code: number, message: RegExp): void => {
    assert.equal(result.code, code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, NO_STACK);
  };

  test('list with no rules; mtls writes the rule first; list shows it with its hits', async () => {
    const empty = succeeded(await cli(['rule', 'list', '--zone', zoneId]));
    assert.equal(empty.stdout, `0 custom rules in zone ${zoneId}\n`);
    assert.equal(succeeded(await cli(['rule', 'list', '--zone', zoneId, '--json'])).stdout, '[]\n');

    const mtls = succeeded(
      await cli([
        'rule',
        'mtls',
        '--zone',
        zoneId,
        '--hostname',
        'iot.cli-rules.test',
        '--hostname',
        'API.cli-rules.test',
      ]),
    );
    const header = new RegExp(
      `^mTLS rule ([0-9a-f]{32}) \\(block, rule version 1\\) is first in zone ${zoneId}; ruleset version 1\\n`,
    ).exec(mtls.stdout);
    assert.ok(header, mtls.stdout);
    assert.equal(mtls.stdout.slice(header[0].length), `  ${MTLS_EXPRESSION}\n`);
    const ruleId = header[1]!;

    // Again, as log and without the revocation check: same rule, new version.
    const logged = JSON.parse(
      succeeded(
        await cli([
          'rule',
          'mtls',
          '--zone',
          zoneId,
          '--hostname',
          'api.cli-rules.test',
          '--log',
          '--no-check-revoked',
          '--json',
        ]),
      ).stdout,
    ) as { id: string; action: string; version: string; expression: string };
    assert.deepEqual(
      [logged.id, logged.action, logged.version, logged.expression],
      [ruleId, 'log', '2', '(http.host in {"api.cli-rules.test"} and not cf.tls_client_auth.cert_verified)'],
    );

    const listed = succeeded(await cli(['rule', 'list', '--zone', zoneId]))
      .stdout.trimEnd()
      .split('\n');
    assert.match(listed[0]!, /^ID\s+ACTION\s+ENABLED\s+HITS\s+LAST HIT\s+DESCRIPTION\s+EXPRESSION$/);
    assert.match(listed[1]!, new RegExp(`^${ruleId}  log\\s+yes\\s+0\\s+-\\s+mTLS rule\\s+\\(http\\.host in`));
    assert.match(listed.at(-1)!, new RegExp(`^1 custom rule in zone ${zoneId} \\(ruleset [0-9a-f]{32}, version 2\\)$`));
  });

  test('add: a bad expression is refused with the parser message and exit 1; a good one is added; delete', async () => {
    const { zoneId: fresh } = await createTenant(server, 'add-cli-rules.test');
    // The first rule of a zone creates the entry point (PUT), so the pointer is /rules/0.
    const [badFirst, usage, notBlock, unknownAction] = await Promise.all([
      cli(['rule', 'add', '--zone', fresh, '--expression', 'http.host eq', '--action', 'block']),
      cli(['rule', 'add', '--zone', fresh, '--expression', 'ssl', '--action', 'block', '--content-type', 'text/xml']),
      cli(['rule', 'add', '--zone', fresh, '--expression', 'ssl', '--action', 'log', '--status-code', '401']),
      cli(['rule', 'add', '--zone', fresh, '--expression', 'ssl', '--action', 'managed_challenge']),
    ]);
    failed(
      badFirst,
      1,
      /^portcullis: \/rules\/0\/expression: Filter parsing error \(1:13\): expected a value after eq, found end of input \[v4 12120\]\n$/,
    );
    failed(usage, 2, /needs --content/);
    failed(notBlock, 2, /go with --action block/);
    failed(unknownAction, 2, /argument 'managed_challenge' is invalid/);
    assert.equal(succeeded(await cli(['rule', 'list', '--zone', fresh])).stdout, `0 custom rules in zone ${fresh}\n`);

    const added = succeeded(
      await cli([
        'rule',
        'add',
        '--zone',
        fresh,
        '--expression',
        'not cf.tls_client_auth.cert_verified',
        '--action',
        'block',
        '--description',
        'certificate required',
        '--status-code',
        '401',
        '--content',
        '{"error":"certificate required"}',
        '--content-type',
        'application/json',
      ]),
    );
    const addedId = new RegExp(
      `^Added rule ([0-9a-f]{32}) \\(block\\) to zone ${fresh} as rule 1; ruleset version 1\\n$`,
    ).exec(added.stdout)?.[1];
    assert.ok(addedId, added.stdout);

    // Once the entry point exists, rules are added to it (POST): the pointer is the rule's own field.
    const [badSecond, skip] = await Promise.all([
      cli(['rule', 'add', '--zone', fresh, '--expression', 'ssl and', '--action', 'log']),
      cli(['rule', 'add', '--zone', fresh, '--expression', 'ip.src in {10.0.0.0/8}', '--action', 'skip', '--json']),
    ]);
    failed(badSecond, 1, /^portcullis: \/expression: Filter parsing error \(1:8\): .* \[v4 12120\]\n$/);
    const skipRule = JSON.parse(succeeded(skip).stdout) as { id: string; action_parameters: unknown };
    assert.deepEqual(skipRule.action_parameters, { ruleset: 'current' });

    const rules = JSON.parse(succeeded(await cli(['rule', 'list', '--zone', fresh, '--json'])).stdout) as {
      id: string;
      description: string;
      action_parameters?: unknown;
    }[];
    assert.deepEqual(
      rules.map((rule) => rule.id),
      [addedId, skipRule.id],
    );
    assert.deepEqual(rules[0]!.action_parameters, {
      response: { status_code: 401, content: '{"error":"certificate required"}', content_type: 'application/json' },
    });

    const deleted = succeeded(await cli(['rule', 'delete', '--zone', fresh, addedId]));
    assert.equal(deleted.stdout, `Deleted rule ${addedId} from zone ${fresh}: 1 rule left, ruleset version 3\n`);
    failed(await cli(['rule', 'delete', '--zone', fresh, addedId]), 1, /\[v4 7003\]/);
  });

  test('usage errors come before any request', async () => {
    const dead = 'http://127.0.0.1:9/client/v4';
    const [noHostname, noZone, noRules] = await Promise.all([
      runCli(['rule', 'mtls', '--zone', zoneId, '--api', dead, '--token', 'x'.repeat(30)]),
      runCli(['rule', 'list', '--api', dead, '--token', 'x'.repeat(30)]),
      cli(['rule', 'delete', '--zone', (await createTenant(server, 'none-cli-rules.test')).zoneId, 'a'.repeat(32)]),
    ]);
    failed(noHostname, 2, /give at least one --hostname/);
    assert.equal(noZone.code, 2);
    assert.match(noZone.stderr, /required option '--zone <id>' not specified/);
    failed(noRules, 1, /has no custom rules/);
  });
});
