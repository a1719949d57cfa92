/**
 * `portcullis key create|list|get|update|delete`: an account's gateway keys, bound to a client
 * certificate (its exact DER, or its public key so renewals keep the key), a token, or both,
 * through the admin API. `create --with-token` prints the token secret once: the API never shows it
 * again. The binding and the secret cannot change; to rotate them, delete the key and create one.
 */
import { Option, type Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { readPemInput } from '../pem-input.ts';
import { idOf, withIdArgument, type IdOption } from '../id-argument.ts';
import { count, formatDetails, formatListing, printResult, when } from '../output.ts';
import {
  collect,
  describeLimits,
  limitFields,
  withLimitOptions,
  type AccessRightView,
  type LimitOptions,
  type QuotaView,
  type RateLimitView,
} from './policy.ts';

interface KeyView {
  id: string;
  alias: string;
  certificate_binding: { kind: string; value: string } | null;
  has_secret: boolean;
  policy_ids: string[];
  access_rights: AccessRightView[];
  rate_limit: RateLimitView | null;
  quota: QuotaView | null;
  quota_remaining: number | null;
  /** What the gateway enforces: the key's own rights and limits, or its policies'. */
  effective?: EffectiveView;
  expires_on: string | null;
  metadata: Record<string, string>;
  active: boolean;
  created_on: string;
  modified_on: string;
  /** Only in the answer to create, with --token. */
  secret?: string;
}

interface EffectiveView {
  refused: { reason: string; policy_id: string } | null;
  access_rights: AccessRightView[];
  rate_limit: RateLimitView | null;
  quota: QuotaView | null;
}

interface Options extends AdminCommandOptions {
  account: string;
}

interface KeyOptions extends Options, LimitOptions, IdOption {
  alias?: string;
  certFile?: string;
  mtlsCert?: string;
  clientCert?: string;
  sha256?: string;
  bindTo?: string;
  withToken?: boolean;
  policy: string[];
  expires?: string;
  meta: string[];
}

/** The options create and update share. */
function withKeyOptions(command: Command): Command {
  return withLimitOptions(
    command
      .option('--alias <text>', 'a name for people')
      .option(
        '--policy <policy-id>',
        'apply a policy of the account (repeat; on update: replaces the list)',
        collect,
        [],
      )
      .option('--expires <date-time>', 'RFC 3339 expiry, e.g. 2027-01-01T00:00:00Z (none: never)')
      .option('--meta <name=value>', 'metadata entry (repeat; on update: replaces all metadata)', collect, []),
    'inactive: the gateway refuses the key',
  );
}

export function registerKeyCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const key = program
    .command('key')
    .description("manage an account's gateway keys (bound to a client certificate, a token, or both)");
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));
  const command = (name: string, description: string): Command =>
    withAdminCommandOptions(
      key.command(name).description(description).requiredOption('--account <id>', 'account of the key'),
    );
  const show = (options: Options, item: KeyView, verb: string): void => {
    printResult(
      options,
      item,
      () => `${verb} key ${item.id}${item.alias === '' ? '' : ` "${item.alias}"`}\n${details(item)}`,
    );
  };

  withKeyOptions(
    command('create', 'create a key bound to a client certificate, a token (--with-token), or both')
      .option('--cert-file <file>', "the client's certificate (PEM)")
      .option('--mtls-cert <id>', 'a leaf certificate uploaded to the account')
      .option('--client-cert <id>', 'a client certificate issued in a zone of the account')
      .option('--sha256 <fingerprint>', "the SHA-256 of the client's certificate (binds that exact certificate)")
      .addOption(
        new Option(
          '--bind-to <what>',
          'leaf: that exact certificate (default); spki: its public key, so renewals keep the key',
        ).choices(['leaf', 'spki']),
      )
      // --token is the admin API token of every admin command, hence --with-token here.
      .option('--with-token', 'make a token secret for the key (printed once)'),
  ).action((options: KeyOptions) => {
    run(async () => {
      const certificate = await certificateOf(options);
      const body = {
        ...settings(options),
        ...(certificate === undefined ? {} : { certificate }),
        ...(options.bindTo === undefined ? {} : { bind_to: options.bindTo }),
        ...(options.withToken === true ? { token: true } : {}),
      };
      const client = await connect(options);
      const created = await client.send<KeyView>('POST', keysOf(options.account), body);
      printResult(options, created, () => {
        const lines = [
          `Created key ${created.id}${created.alias === '' ? '' : ` "${created.alias}"`}`,
          details(created),
        ];
        if (created.secret !== undefined) {
          lines.push('', 'Secret (shown only this once; store it now):', `  ${created.secret}`);
        }
        return lines.join('\n');
      });
    });
  });

  command('list', "list the account's keys").action((options: Options) => {
    run(async () => {
      const client = await connect(options);
      const items = await client.listAll<KeyView>(keysOf(options.account));
      printResult(options, items, () =>
        formatListing(
          items,
          [
            { header: 'ID', value: (k) => k.id },
            { header: 'ALIAS', value: (k) => k.alias },
            { header: 'BINDING', value: bindingOf },
            { header: 'POLICIES', value: (k) => String(k.policy_ids.length) },
            { header: 'EXPIRES', value: (k) => when(k.expires_on) },
            { header: 'ACTIVE', value: (k) => (k.active ? 'yes' : 'no') },
          ],
          `${count(items.length, 'key')} in account ${options.account}`,
        ),
      );
    });
  });

  withIdArgument(
    command('get', 'show one key, with the access and limits the gateway enforces for it'),
    'key-id',
    'id of the key',
  ).action((id: string | undefined, options: KeyOptions) => {
    run(async () => {
      const path = keyPath(options.account, idOf(id, options, 'key-id'));
      const client = await connect(options);
      show(options, await client.get<KeyView>(path), 'Key');
    });
  });

  withKeyOptions(
    withIdArgument(
      command('update', 'change the settings given (not the certificate or the secret: delete and create to rotate)'),
      'key-id',
      'id of the key',
    ),
  ).action((id: string | undefined, options: KeyOptions) => {
    run(async () => {
      const path = keyPath(options.account, idOf(id, options, 'key-id'));
      const body = settings(options);
      if (Object.keys(body).length === 0) throw GW_ERR_USAGE.create('key update: nothing to change');
      const client = await connect(options);
      show(options, await client.send<KeyView>('PATCH', path, body), 'Updated');
    });
  });

  withIdArgument(command('delete', 'delete a key'), 'key-id', 'id of the key').action(
    (id: string | undefined, options: KeyOptions) => {
      run(async () => {
        const path = keyPath(options.account, idOf(id, options, 'key-id'));
        const client = await connect(options);
        const deleted = await client.send<{ id: string }>('DELETE', path);
        printResult(options, deleted, () => `Deleted key ${deleted.id}`);
      });
    },
  );
}

/** The settings given on the command line, as body fields. */
function settings(options: KeyOptions): Record<string, unknown> {
  const metadata = options.meta.map((entry): [string, string] => {
    const equals = entry.indexOf('=');
    if (equals <= 0) throw GW_ERR_USAGE.create(`--meta takes name=value, got "${entry}"`);
    return [entry.slice(0, equals), entry.slice(equals + 1)];
  });
  return {
    ...(options.alias === undefined ? {} : { alias: options.alias }),
    ...(options.policy.length === 0 ? {} : { policy_ids: options.policy }),
    ...(options.expires === undefined ? {} : { expires_on: options.expires === 'none' ? null : options.expires }),
    ...(metadata.length === 0 ? {} : { metadata: Object.fromEntries(metadata) }),
    ...limitFields(options),
  };
}

/** The one certificate option given, as the API's `certificate` object. */
async function certificateOf(options: KeyOptions): Promise<Record<string, string> | undefined> {
  const given = [options.certFile, options.mtlsCert, options.clientCert, options.sha256].filter((v) => v !== undefined);
  if (given.length > 1) {
    throw GW_ERR_USAGE.create('give at most one of --cert-file, --mtls-cert, --client-cert and --sha256');
  }
  if (options.certFile !== undefined)
    return { pem: await readPemInput(options.certFile, '--cert-file', 'CERTIFICATE') };
  if (options.mtlsCert !== undefined) return { mtls_certificate_id: options.mtlsCert };
  if (options.clientCert !== undefined) return { client_certificate_id: options.clientCert };
  if (options.sha256 !== undefined) return { sha256: options.sha256 };
  return undefined;
}

function keysOf(accountId: string): string {
  return `/accounts/${segment(accountId)}/gateway/keys`;
}

function keyPath(accountId: string, id: string): string {
  return `${keysOf(accountId)}/${segment(id)}`;
}

function bindingOf(item: KeyView): string {
  const certificate =
    item.certificate_binding === null
      ? undefined
      : `${item.certificate_binding.kind === 'spki_sha256' ? 'public key' : 'certificate'} ${item.certificate_binding.value.slice(0, 16)}…`;
  return [certificate, item.has_secret ? 'token' : undefined].filter((part) => part !== undefined).join(' + ');
}

function details(item: KeyView): string {
  const binding = item.certificate_binding;
  return formatDetails([
    ['Certificate', binding === null ? 'none' : `${binding.kind} ${binding.value}`],
    ['Token', item.has_secret ? 'yes' : 'no'],
    ['Policies', item.policy_ids.length === 0 ? 'none' : item.policy_ids.join(', ')],
    ...describeLimits(item),
    ...describeEffective(item),
    ...(item.quota_remaining === null ? [] : [['Quota left', String(item.quota_remaining)] as [string, string]]),
    ['Expires', item.expires_on ?? 'never'],
    ['Active', item.active ? 'yes' : 'no'],
  ]);
}

/** The effective rows: with policies the key's own rights and limits are ignored (policy/effective-limits.ts). */
function describeEffective(item: KeyView): [string, string][] {
  const effective = item.effective;
  if (effective === undefined) return [];
  if (effective.refused !== null) {
    const why = effective.refused.reason === 'policy_inactive' ? 'is inactive' : 'does not exist';
    return [['Effective', `none: policy ${effective.refused.policy_id} ${why}, so every request is refused`]];
  }
  const source = item.policy_ids.length === 0 ? 'its own' : 'from its policies; its own are ignored';
  return [
    ['Effective', source],
    ...describeLimits(effective).map(([label, value]): [string, string] => [`  ${label}`, value]),
  ];
}
