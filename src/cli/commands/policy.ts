/**
 * `portcullis policy create|list|get|update|delete`: an account's gateway policies (templates of
 * access rights, rate limits and quotas applied to keys), through the admin API. The API checks the
 * fields (control/apis/gateway-policy-input.ts); the CLI only shapes them. Also the option parsers the
 * key command shares (`--rate-limit 100/60`, `--quota 10000/86400`, `--access`, `--access-rights`).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, formatDetails, formatListing, printResult } from '../output.ts';
import { idOf, withIdArgument } from '../id-argument.ts';

export interface RateLimitView {
  rate: number;
  per: number;
}

export interface QuotaView {
  max: number;
  renewal_rate: number;
}

export interface AccessRightView {
  api_id: string;
  methods: string[];
  paths: string[];
}

interface PolicyView {
  id: string;
  name: string;
  access_rights: AccessRightView[];
  rate_limit: RateLimitView | null;
  quota: QuotaView | null;
  active: boolean;
  created_on: string;
  modified_on: string;
}

/** The options `policy` and `key` share for rights and limits. */
export interface LimitOptions {
  access: string[];
  accessRights?: unknown[];
  rateLimit?: RateLimitView | null;
  quota?: QuotaView | null;
  active?: boolean;
  inactive?: boolean;
}

interface Options extends AdminCommandOptions {
  account: string;
}

interface PolicyOptions extends Options, LimitOptions {
  id: string;
  name?: string;
}

const POLICY_INACTIVE = 'inactive: keys get nothing from it';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `100/60` = 100 requests per 60 seconds; `none` = no limit. */
export function parseRateLimit(text: string): RateLimitView | null {
  if (text === 'none') return null;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (match === null) throw new InvalidArgumentError('takes <requests>/<seconds> (e.g. 100/60) or none');
  return { rate: Number(match[1]), per: Number(match[2]) };
}

/** `10000/86400` = 10000 requests per day; `none` = no quota. */
export function parseQuota(text: string): QuotaView | null {
  if (text === 'none') return null;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (match === null) throw new InvalidArgumentError('takes <requests>/<renewal seconds> (e.g. 10000/86400) or none');
  return { max: Number(match[1]), renewal_rate: Number(match[2]) };
}

/** `--access-rights '[{"api_id":"…","methods":["GET"],"paths":["/orders/*"]}]'` */
export function parseAccessRights(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('takes a JSON array of {"api_id", "methods", "paths"}');
  }
  if (!Array.isArray(value)) throw new InvalidArgumentError('takes a JSON array of {"api_id", "methods", "paths"}');
  return value;
}

/** Adds the options for access rights, limits and the active flag. */
export function withLimitOptions(command: Command, inactive: string): Command {
  return command
    .option('--access <api-id>', 'allow every method and path of an API (repeat for more)', collect, [])
    .option(
      '--access-rights <json>',
      'access rights as the API takes them: [{"api_id","methods":["GET"],"paths":["/orders/*"]}]',
      parseAccessRights,
    )
    .option('--rate-limit <requests/seconds>', 'e.g. 100/60 (none: no limit)', parseRateLimit)
    .option('--quota <requests/seconds>', 'e.g. 10000/86400 renewed daily (none: no quota)', parseQuota)
    .option('--active', 'active (the default on create)')
    .option('--inactive', inactive);
}

/** The rights and limits of the options, as body fields (only those given). */
export function limitFields(options: LimitOptions): Record<string, unknown> {
  if (options.active === true && options.inactive === true) {
    throw GW_ERR_USAGE.create('--active and --inactive contradict each other');
  }
  const simple = options.access.map((apiId) => ({ api_id: apiId }));
  const rights = [...simple, ...(options.accessRights ?? [])];
  return {
    ...(rights.length > 0 ? { access_rights: rights } : {}),
    ...(options.rateLimit === undefined ? {} : { rate_limit: options.rateLimit }),
    ...(options.quota === undefined ? {} : { quota: options.quota }),
    ...(options.inactive === true ? { active: false } : options.active === true ? { active: true } : {}),
  };
}

export function describeLimits(item: {
  rate_limit: RateLimitView | null;
  quota: QuotaView | null;
  access_rights: AccessRightView[];
}): [string, string][] {
  return [
    ['Access', item.access_rights.length === 0 ? 'none' : item.access_rights.map(describeRight).join('; ')],
    ['Rate limit', item.rate_limit === null ? 'none' : `${item.rate_limit.rate} per ${item.rate_limit.per} s`],
    ['Quota', item.quota === null ? 'none' : `${item.quota.max} per ${item.quota.renewal_rate} s`],
  ];
}

function describeRight(right: AccessRightView): string {
  const methods = right.methods.length === 0 ? 'any method' : right.methods.join(',');
  const paths = right.paths.length === 0 ? 'any path' : right.paths.join(',');
  return `${right.api_id} (${methods}, ${paths})`;
}

export function registerPolicyCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const policy = program
    .command('policy')
    .description("manage an account's gateway policies (access rights, rate limits, quotas applied to keys)");
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));
  const command = (name: string, description: string): Command =>
    withAdminCommandOptions(
      policy.command(name).description(description).requiredOption('--account <id>', 'account of the policy'),
    );
  const show = (options: Options, item: PolicyView, verb: string): void => {
    printResult(options, item, () => `${verb} policy ${item.id} "${item.name}"\n${details(item)}`);
  };

  withLimitOptions(
    command('create', 'create a policy').requiredOption('--name <name>', 'a name for people'),
    POLICY_INACTIVE,
  ).action((options: PolicyOptions) => {
    run(async () => {
      const client = await connect(options);
      const body = { name: options.name, ...limitFields(options) };
      show(options, await client.send<PolicyView>('POST', policiesOf(options.account), body), 'Created');
    });
  });

  command('list', "list the account's policies").action((options: Options) => {
    run(async () => {
      const client = await connect(options);
      const items = await client.get<PolicyView[]>(policiesOf(options.account));
      printResult(options, items, () =>
        formatListing(
          items,
          [
            { header: 'ID', value: (p) => p.id },
            { header: 'NAME', value: (p) => p.name },
            { header: 'APIS', value: (p) => String(p.access_rights.length) },
            {
              header: 'RATE',
              value: (p) => (p.rate_limit === null ? '-' : `${p.rate_limit.rate}/${p.rate_limit.per}s`),
            },
            { header: 'QUOTA', value: (p) => (p.quota === null ? '-' : `${p.quota.max}/${p.quota.renewal_rate}s`) },
            { header: 'ACTIVE', value: (p) => (p.active ? 'yes' : 'no') },
          ],
          `${count(items.length, 'policy', 'policies')} in account ${options.account}`,
        ),
      );
    });
  });

  withIdArgument(command('get', 'show one policy'), 'policy-id', 'id of the policy').action(
    (id: string | undefined, options: PolicyOptions) => {
      run(async () => {
        options.id = idOf(id, options, 'policy-id');
        const client = await connect(options);
        show(options, await client.get<PolicyView>(policyPath(options)), 'Policy');
      });
    },
  );

  withLimitOptions(
    withIdArgument(
      command('update', 'change the fields given (access rights replace the list)'),
      'policy-id',
      'id of the policy',
    ).option('--name <name>', 'a new name'),
    POLICY_INACTIVE,
  ).action((id: string | undefined, options: PolicyOptions) => {
    run(async () => {
      options.id = idOf(id, options, 'policy-id');
      const body = { ...(options.name === undefined ? {} : { name: options.name }), ...limitFields(options) };
      if (Object.keys(body).length === 0) throw GW_ERR_USAGE.create('policy update: nothing to change');
      const client = await connect(options);
      show(options, await client.send<PolicyView>('PATCH', policyPath(options), body), 'Updated');
    });
  });

  withIdArgument(
    command('delete', 'delete a policy (refused while a key uses it)'),
    'policy-id',
    'id of the policy',
  ).action((id: string | undefined, options: PolicyOptions) => {
    run(async () => {
      options.id = idOf(id, options, 'policy-id');
      const client = await connect(options);
      const deleted = await client.send<{ id: string }>('DELETE', policyPath(options));
      printResult(options, deleted, () => `Deleted policy ${deleted.id}`);
    });
  });
}

function policiesOf(accountId: string): string {
  return `/accounts/${segment(accountId)}/gateway/policies`;
}

function policyPath(options: PolicyOptions): string {
  return `${policiesOf(options.account)}/${segment(options.id)}`;
}

function details(item: PolicyView): string {
  return formatDetails([...describeLimits(item), ['Active', item.active ? 'yes' : 'no']]);
}
