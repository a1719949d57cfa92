/**
 * `portcullis api create|list|get|update|delete`: a zone's gateway APIs (hostname + listen path →
 * upstream, with an auth mode: keyless, mtls_static, mtls_dynamic or token), through the admin API.
 * The API checks the fields (control/apis/api-definition-input.ts); the CLI only shapes them.
 */
import { Option, type Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, formatDetails, formatListing, printResult } from '../output.ts';
import { idOf, withIdArgument } from '../id-argument.ts';
import { collect, parseRateLimit, type RateLimitView } from './policy.ts';
import { parseUpstreamTimeoutOption, UPSTREAM_TIMEOUT_HELP } from '../upstream-timeout-option.ts';

const AUTH_MODES = ['keyless', 'mtls_static', 'mtls_dynamic', 'token'];

interface AllowedView {
  mtls_certificate_id?: string;
  client_certificate_id?: string;
  sha256?: string;
}

interface ApiView {
  id: string;
  name: string;
  hostname: string;
  listen_path: string;
  upstream_url: string;
  strip_listen_path: boolean;
  upstream_timeout_ms: number | null;
  protocol: string;
  active: boolean;
  auth: { mode: string; token_required: boolean; allowed_certificates: AllowedView[] };
  rate_limit: RateLimitView | null;
  created_on: string;
  modified_on: string;
}

interface Options extends AdminCommandOptions {
  zone: string;
}

interface ApiOptions extends Options {
  id: string;
  name?: string;
  hostname?: string;
  upstream?: string;
  listenPath?: string;
  stripListenPath?: boolean;
  upstreamTimeout?: number | null;
  protocol?: string;
  auth?: string;
  tokenRequired?: boolean;
  allowMtlsCert: string[];
  allowClientCert: string[];
  allowSha256: string[];
  rateLimit?: RateLimitView | null;
  active?: boolean;
  inactive?: boolean;
}

/** The options create and update share. */
function withApiOptions(command: Command): Command {
  return command
    .option('--listen-path <path>', 'only paths under this prefix, on segment boundaries (default: /)')
    .option('--strip-listen-path', 'remove the listen path from the path sent upstream')
    .option('--upstream-timeout <duration>', UPSTREAM_TIMEOUT_HELP, parseUpstreamTimeoutOption)
    .addOption(
      new Option('--protocol <protocol>', 'http (default) or grpc (needs h2c:// or https://)').choices([
        'http',
        'grpc',
      ]),
    )
    .option('--token-required', 'mtls_static: a token key is needed as well as an allowed certificate')
    .option('--allow-mtls-cert <id>', 'mtls_static: allow a leaf uploaded to the account (repeat)', collect, [])
    .option('--allow-client-cert <id>', 'mtls_static: allow a client certificate of the zone (repeat)', collect, [])
    .option('--allow-sha256 <fingerprint>', 'mtls_static: allow a leaf by its SHA-256 (repeat)', collect, [])
    .option('--rate-limit <requests/seconds>', 'a limit over all clients, e.g. 1000/1 (none: no limit)', parseRateLimit)
    .option('--active', 'serve requests (the default on create)')
    .option('--inactive', 'keep the API but do not serve it');
}

export function registerApiCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const api = program
    .command('api')
    .description("manage a zone's gateway APIs (hostname + listen path → upstream, with authentication)");
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));
  const command = (name: string, description: string): Command =>
    withAdminCommandOptions(
      api.command(name).description(description).requiredOption('--zone <id>', 'zone of the API'),
    );
  const show = (options: Options, item: ApiView, verb: string): void => {
    printResult(options, item, () => `${verb} API ${item.id} "${item.name}": ${describe(item)}\n${details(item)}`);
  };

  withApiOptions(
    command('create', 'create an API')
      .requiredOption('--name <name>', 'a name for people')
      .requiredOption('--hostname <name>', 'hostname under the zone, or *.<parent> for its subdomains')
      .requiredOption('--upstream <url>', 'http://, https:// or h2c:// host[:port][/base path]')
      .addOption(
        new Option('--auth <mode>', 'how clients are authenticated').choices(AUTH_MODES).makeOptionMandatory(),
      ),
  ).action((options: ApiOptions) => {
    run(async () => {
      const body = { ...fields(options), ...auth(options) };
      const client = await connect(options);
      show(options, await client.send<ApiView>('POST', apisOf(options.zone), body), 'Created');
    });
  });

  command('list', "list the zone's APIs").action((options: Options) => {
    run(async () => {
      const client = await connect(options);
      // One page holds every API of a zone (the API does not page this list).
      const items = await client.get<ApiView[]>(apisOf(options.zone));
      printResult(options, items, () =>
        formatListing(
          items,
          [
            { header: 'ID', value: (a) => a.id },
            { header: 'NAME', value: (a) => a.name },
            { header: 'HOSTNAME', value: (a) => a.hostname },
            { header: 'PATH', value: (a) => a.listen_path },
            { header: 'AUTH', value: (a) => a.auth.mode + (a.auth.token_required ? '+token' : '') },
            { header: 'PROTOCOL', value: (a) => a.protocol },
            { header: 'ACTIVE', value: (a) => (a.active ? 'yes' : 'no') },
            { header: 'UPSTREAM', value: (a) => a.upstream_url },
          ],
          `${count(items.length, 'API')} in zone ${options.zone}`,
        ),
      );
    });
  });

  withIdArgument(command('get', 'show one API'), 'api-id', 'id of the API').action(
    (id: string | undefined, options: ApiOptions) => {
      run(async () => {
        options.id = idOf(id, options, 'api-id');
        const client = await connect(options);
        show(options, await client.get<ApiView>(apiPath(options)), 'API');
      });
    },
  );

  withApiOptions(
    withIdArgument(
      command('update', 'change the fields given; any auth option replaces the whole auth and needs --auth'),
      'api-id',
      'id of the API',
    )
      .option('--name <name>', 'a new name')
      .option('--hostname <name>', 'a new hostname')
      .option('--upstream <url>', 'a new upstream')
      .addOption(new Option('--auth <mode>', 'a new auth mode').choices(AUTH_MODES)),
  ).action((id: string | undefined, options: ApiOptions) => {
    run(async () => {
      options.id = idOf(id, options, 'api-id');
      const body = { ...fields(options), ...auth(options) };
      if (Object.keys(body).length === 0) throw GW_ERR_USAGE.create('api update: nothing to change');
      const client = await connect(options);
      show(options, await client.send<ApiView>('PATCH', apiPath(options), body), 'Updated');
    });
  });

  withIdArgument(command('delete', 'delete an API'), 'api-id', 'id of the API').action(
    (id: string | undefined, options: ApiOptions) => {
      run(async () => {
        options.id = idOf(id, options, 'api-id');
        const client = await connect(options);
        const deleted = await client.send<{ id: string }>('DELETE', apiPath(options));
        printResult(options, deleted, () => `Deleted API ${deleted.id}`);
      });
    },
  );
}

/** The plain fields given on the command line. */
function fields(options: ApiOptions): Record<string, unknown> {
  if (options.active === true && options.inactive === true) {
    throw GW_ERR_USAGE.create('--active and --inactive contradict each other');
  }
  const given: [string, unknown][] = [
    ['name', options.name],
    ['hostname', options.hostname],
    ['upstream_url', options.upstream],
    ['listen_path', options.listenPath],
    ['strip_listen_path', options.stripListenPath],
    ['upstream_timeout_ms', options.upstreamTimeout],
    ['protocol', options.protocol],
    ['rate_limit', options.rateLimit],
    ['active', options.inactive === true ? false : options.active],
  ];
  return Object.fromEntries(given.filter(([, value]) => value !== undefined));
}

/** `auth`, when any auth option is given: replaced as a whole, so the mode is required then. */
function auth(options: ApiOptions): Record<string, unknown> {
  const allowed = [
    ...options.allowMtlsCert.map((id) => ({ mtls_certificate_id: id })),
    ...options.allowClientCert.map((id) => ({ client_certificate_id: id })),
    ...options.allowSha256.map((sha256) => ({ sha256 })),
  ];
  if (options.auth === undefined) {
    if (allowed.length > 0 || options.tokenRequired === true) {
      throw GW_ERR_USAGE.create("--allow-* and --token-required replace the API's auth: give --auth with them");
    }
    return {};
  }
  return {
    auth: {
      mode: options.auth,
      ...(options.tokenRequired === true ? { token_required: true } : {}),
      ...(allowed.length > 0 ? { allowed_certificates: allowed } : {}),
    },
  };
}

function apisOf(zoneId: string): string {
  return `/zones/${segment(zoneId)}/gateway/apis`;
}

function apiPath(options: ApiOptions): string {
  return `${apisOf(options.zone)}/${segment(options.id)}`;
}

/** `api.example.com/v1 -> http://backend:8080 (mtls_dynamic)` */
function describe(item: ApiView): string {
  const path = item.listen_path === '/' ? '' : item.listen_path;
  return `${item.hostname}${path} -> ${item.upstream_url} (${item.auth.mode})`;
}

function details(item: ApiView): string {
  const allowed = item.auth.allowed_certificates.map(
    (entry) => entry.mtls_certificate_id ?? entry.client_certificate_id ?? `sha256:${entry.sha256 ?? ''}`,
  );
  return formatDetails([
    ['Protocol', item.protocol],
    ['Strip path', item.strip_listen_path ? 'yes' : 'no'],
    ['Upstream timeout', item.upstream_timeout_ms === null ? 'default' : `${item.upstream_timeout_ms} ms`],
    ['Auth', item.auth.mode + (item.auth.token_required ? ' + token' : '')],
    ...(allowed.length > 0 ? [['Allowed', allowed.join(', ')] as [string, string]] : []),
    ['Rate limit', item.rate_limit === null ? 'none' : `${item.rate_limit.rate} per ${item.rate_limit.per} s`],
    ['Active', item.active ? 'yes' : 'no'],
  ]);
}
