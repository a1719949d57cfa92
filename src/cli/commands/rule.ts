/**
 * `portcullis rule list|add|delete|mtls`: a zone's custom rules (the `http_request_firewall_custom` entry point)
 * through the Rulesets API. `add` creates the entry point on the first rule; `mtls` writes the one rule that
 * refuses clients without a valid (and, by default, unrevoked) certificate on the given hostnames.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment, type AdminClient } from '../../admin-client/admin-client.ts';
import {
  AdminCommandError,
  runAdminCommand,
  withAdminCommandOptions,
  type AdminCommandOptions,
} from '../admin-command.ts';
import { count, formatListing, printResult, when } from '../output.ts';
import { CUSTOM_RULES_PHASE, MTLS_RULE_REF } from '../../model/records.ts';
import { idOf, withIdArgument } from '../id-argument.ts';

const CONTENT_TYPES = ['text/html', 'text/plain', 'application/json', 'text/xml'];
/** A bound on cursor following, so a server that repeats a cursor cannot loop us forever. */
const MAX_PAGES = 100;

interface RuleView {
  id: string;
  version: string;
  action: string;
  action_parameters?: unknown;
  expression: string;
  description: string;
  last_updated: string;
  ref: string;
  enabled: boolean;
}

interface RulesetView {
  id: string;
  phase: string;
  version: string;
  rules: RuleView[];
}

interface RuleHitsView {
  rule_id: string;
  hits: number;
  last_hit_at: string | null;
}

interface Options extends AdminCommandOptions {
  zone: string;
}

interface AddOptions extends Options {
  expression: string;
  action: 'block' | 'log' | 'skip';
  description?: string;
  statusCode?: number;
  content?: string;
  contentType?: string;
}

interface MtlsOptions extends Options {
  hostname: string[];
  log?: boolean;
  checkRevoked: boolean;
}

function parseStatusCode(text: string): number {
  if (!/^4\d\d$/.test(text)) throw new InvalidArgumentError('--status-code takes an HTTP status from 400 to 499');
  return Number(text);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerRuleCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const rule = program
    .command('rule')
    .description(`manage a zone's custom rules (the ${CUSTOM_RULES_PHASE} phase) through the admin API`);
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));
  const command = (name: string, description: string): Command =>
    withAdminCommandOptions(rule.command(name).description(description).requiredOption('--zone <id>', 'zone'));

  command('list', "list the zone's custom rules in evaluation order, with their hits since the gateway started").action(
    (options: Options) => {
      run(() => list(options));
    },
  );

  command('add', "add a rule at the bottom of the zone's custom rules")
    .requiredOption(
      '--expression <expression>',
      'rules-language expression, e.g. "not cf.tls_client_auth.cert_verified"',
    )
    .addOption(
      new Option('--action <action>', 'what a matching request gets')
        .choices(['block', 'log', 'skip'])
        .makeOptionMandatory(),
    )
    .option('--description <text>', 'what the rule is for')
    .addOption(
      new Option('--status-code <n>', 'block: status of the custom response (400-499, default 403)').argParser(
        parseStatusCode,
      ),
    )
    .option('--content <body>', 'block: body of the custom response')
    .addOption(
      new Option('--content-type <type>', 'block: media type of the custom response (default text/plain)').choices(
        CONTENT_TYPES,
      ),
    )
    .action((options: AddOptions) => {
      run(() => add(options));
    });

  withIdArgument(command('delete', 'delete one rule'), 'rule-id', 'id of the rule (see rule list)').action(
    (id: string | undefined, options: Options & { id: string }) => {
      run(async () => {
        options.id = idOf(id, options, 'rule-id');
        await remove(options);
      });
    },
  );

  command('mtls', 'require a valid client certificate on hostnames: one rule, first, replaced on each call')
    .option('--hostname <name>', 'a hostname of the zone (repeat for more)', collect, [])
    .option('--log', 'only log requests without a valid certificate instead of blocking them (try it first)')
    .option('--no-check-revoked', 'let revoked certificates through (by default they are refused too)')
    .action((options: MtlsOptions) => {
      run(() => mtls(options));
    });
}

async function list(options: Options): Promise<void> {
  const client = await connect(options);
  const summary = await findEntrypoint(client, options.zone);
  const ruleset =
    summary === undefined
      ? undefined
      : await client.get<RulesetView>(`${zonePath(options.zone)}/rulesets/${segment(summary.id)}`);
  const rules = ruleset?.rules ?? [];
  const hits = new Map(
    (ruleset === undefined ? [] : await client.get<RuleHitsView[]>(`${zonePath(options.zone)}/gateway/rule_hits`)).map(
      (count) => [count.rule_id, count],
    ),
  );
  const total = `${count(rules.length, 'custom rule')} in zone ${options.zone}`;
  printResult(options, rules, () =>
    formatListing(
      rules,
      [
        { header: 'ID', value: (r) => r.id },
        { header: 'ACTION', value: (r) => r.action },
        { header: 'ENABLED', value: (r) => (r.enabled ? 'yes' : 'no') },
        { header: 'HITS', value: (r) => String(hits.get(r.id)?.hits ?? 0) },
        { header: 'LAST HIT', value: (r) => when(hits.get(r.id)?.last_hit_at) },
        { header: 'DESCRIPTION', value: (r) => r.description || '-' },
        { header: 'EXPRESSION', value: (r) => r.expression },
      ],
      ruleset === undefined ? total : `${total} (ruleset ${ruleset.id}, version ${ruleset.version})`,
    ),
  );
}

async function add(options: AddOptions): Promise<void> {
  const body = ruleBody(options);
  const client = await connect(options);
  const summary = await findEntrypoint(client, options.zone);
  // The first rule creates the entry point; later ones are added at the bottom of it.
  const ruleset =
    summary === undefined
      ? await client.send<RulesetView>(
          'PUT',
          `${zonePath(options.zone)}/rulesets/phases/${CUSTOM_RULES_PHASE}/entrypoint`,
          {
            rules: [body],
          },
        )
      : await client.send<RulesetView>('POST', `${zonePath(options.zone)}/rulesets/${segment(summary.id)}/rules`, body);
  const added = ruleset.rules.at(-1);
  if (added === undefined) throw new AdminCommandError('the API answered a ruleset without the added rule');
  printResult(
    options,
    added,
    () =>
      `Added rule ${added.id} (${added.action}) to zone ${options.zone} as rule ${ruleset.rules.length}; ` +
      `ruleset version ${ruleset.version}`,
  );
}

/** The rule as the API takes it; usage errors (response options on a non-block rule) come before any request. */
function ruleBody(options: AddOptions): Record<string, unknown> {
  const responseGiven =
    options.statusCode !== undefined || options.content !== undefined || options.contentType !== undefined;
  if (responseGiven && options.action !== 'block') {
    throw GW_ERR_USAGE.create('--status-code, --content and --content-type go with --action block');
  }
  if (responseGiven && options.content === undefined) {
    throw GW_ERR_USAGE.create('a custom response needs --content (with --status-code and --content-type if wanted)');
  }
  const parameters =
    options.action === 'skip'
      ? { ruleset: 'current' }
      : responseGiven
        ? {
            response: {
              ...(options.statusCode === undefined ? {} : { status_code: options.statusCode }),
              content: options.content,
              content_type: options.contentType ?? 'text/plain',
            },
          }
        : undefined;
  return {
    action: options.action,
    expression: options.expression,
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(parameters === undefined ? {} : { action_parameters: parameters }),
  };
}

async function remove(options: Options & { id: string }): Promise<void> {
  const client = await connect(options);
  const summary = await findEntrypoint(client, options.zone);
  if (summary === undefined) throw new AdminCommandError(`zone ${options.zone} has no custom rules`);
  const ruleset = await client.send<RulesetView>(
    'DELETE',
    `${zonePath(options.zone)}/rulesets/${segment(summary.id)}/rules/${segment(options.id)}`,
  );
  printResult(
    options,
    ruleset,
    () =>
      `Deleted rule ${options.id} from zone ${options.zone}: ` +
      `${count(ruleset.rules.length, 'rule')} left, ruleset version ${ruleset.version}`,
  );
}

async function mtls(options: MtlsOptions): Promise<void> {
  if (options.hostname.length === 0) throw GW_ERR_USAGE.create('give at least one --hostname');
  const client = await connect(options);
  const ruleset = await client.send<RulesetView>('POST', `${zonePath(options.zone)}/gateway/mtls_rule`, {
    hostnames: options.hostname,
    action: options.log === true ? 'log' : 'block',
    check_revoked: options.checkRevoked,
  });
  const rule = ruleset.rules.find((candidate) => candidate.ref === MTLS_RULE_REF);
  if (rule === undefined) throw new AdminCommandError('the API answered a ruleset without the mTLS rule');
  printResult(
    options,
    rule,
    () =>
      `mTLS rule ${rule.id} (${rule.action}, rule version ${rule.version}) is first in zone ${options.zone}; ` +
      `ruleset version ${ruleset.version}\n  ${rule.expression}`,
  );
}

function zonePath(zone: string): string {
  return `/zones/${segment(zone)}`;
}

/** The zone's custom-rules entry point (without its rules), or undefined when it has none yet. */
async function findEntrypoint(client: AdminClient, zone: string): Promise<{ id: string; version: string } | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const listed = await client.call<{ id: string; phase: string; version: string }[]>(
      'GET',
      `${zonePath(zone)}/rulesets`,
      { query: { cursor } },
    );
    const found = listed.result.find((ruleset) => ruleset.phase === CUSTOM_RULES_PHASE);
    if (found !== undefined) return found;
    cursor = (listed.result_info as { cursor?: string } | undefined)?.cursor;
    if (cursor === undefined || cursor === '') return undefined;
  }
  throw new AdminCommandError(`the rulesets of zone ${zone} still had pages after ${MAX_PAGES}; stopped`);
}
