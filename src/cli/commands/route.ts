/**
 * `portcullis route create|list|delete`: a zone's gateway routes (hostname + path prefix →
 * upstream), through the admin API. The API checks the fields (control/routes/route-input.ts); the CLI
 * only passes them on, so both refuse the same things with the same messages.
 */
import type { Command } from 'commander';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, formatListing, printResult } from '../output.ts';
import { idOf, withIdArgument, type IdOption } from '../id-argument.ts';
import { parseUpstreamTimeoutOption, UPSTREAM_TIMEOUT_HELP } from '../upstream-timeout-option.ts';

interface RouteView {
  id: string;
  hostname: string;
  path_prefix: string;
  upstream: string;
  strip_prefix: boolean;
  upstream_timeout_ms: number | null;
  description: string;
  created_on: string;
  modified_on: string;
}

interface Options extends AdminCommandOptions {
  zone: string;
}

interface CreateOptions extends Options {
  hostname: string;
  upstream: string;
  pathPrefix?: string;
  stripPrefix?: boolean;
  upstreamTimeout?: number | null;
  description?: string;
}

export function registerRouteCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const route = program
    .command('route')
    .description("manage a zone's gateway routes (hostname + path prefix → upstream)");
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));

  withAdminCommandOptions(
    route
      .command('create')
      .description('route requests for a hostname (and path prefix) to an upstream')
      .requiredOption('--zone <id>', 'zone of the hostname')
      .requiredOption('--hostname <name>', 'hostname under the zone, or *.<parent> for its subdomains')
      .requiredOption('--upstream <url>', 'http://, https:// or h2c:// host[:port][/base path]')
      .option('--path-prefix <prefix>', 'only paths under this prefix, on segment boundaries (default: /)')
      .option('--strip-prefix', 'remove the path prefix from the path sent upstream')
      .option('--upstream-timeout <duration>', UPSTREAM_TIMEOUT_HELP, parseUpstreamTimeoutOption)
      .option('--description <text>', 'a note for people'),
  ).action((options: CreateOptions) => {
    run(async () => {
      const client = await connect(options);
      const created = await client.send<RouteView>('POST', routesOf(options.zone), {
        hostname: options.hostname,
        upstream: options.upstream,
        ...(options.pathPrefix === undefined ? {} : { path_prefix: options.pathPrefix }),
        ...(options.stripPrefix === true ? { strip_prefix: true } : {}),
        ...(options.upstreamTimeout === undefined ? {} : { upstream_timeout_ms: options.upstreamTimeout }),
        ...(options.description === undefined ? {} : { description: options.description }),
      });
      printResult(options, created, () => `Created route ${created.id}: ${describe(created)}`);
    });
  });

  withAdminCommandOptions(
    route.command('list').description("list a zone's routes").requiredOption('--zone <id>', 'zone'),
  ).action((options: Options) => {
    run(async () => {
      const client = await connect(options);
      // One page holds every route of a zone (the API does not page this list).
      const routes = await client.get<RouteView[]>(routesOf(options.zone));
      printResult(options, routes, () =>
        formatListing(
          routes,
          [
            { header: 'ID', value: (r) => r.id },
            { header: 'HOSTNAME', value: (r) => r.hostname },
            { header: 'PREFIX', value: (r) => r.path_prefix },
            { header: 'STRIP', value: (r) => (r.strip_prefix ? 'yes' : 'no') },
            { header: 'UPSTREAM', value: (r) => r.upstream },
            {
              header: 'TIMEOUT',
              value: (r) => (r.upstream_timeout_ms === null ? 'default' : `${r.upstream_timeout_ms}ms`),
            },
            { header: 'DESCRIPTION', value: (r) => r.description },
          ],
          `${count(routes.length, 'route')} in zone ${options.zone}`,
        ),
      );
    });
  });

  withIdArgument(
    withAdminCommandOptions(
      route.command('delete').description('delete a route').requiredOption('--zone <id>', 'zone of the route'),
    ),
    'route-id',
    'id of the route (from route list)',
  ).action((id: string | undefined, options: Options & IdOption) => {
    run(async () => {
      const routeId = idOf(id, options, 'route-id');
      const client = await connect(options);
      const deleted = await client.send<{ id: string }>('DELETE', `${routesOf(options.zone)}/${segment(routeId)}`);
      printResult(options, deleted, () => `Deleted route ${deleted.id}`);
    });
  });
}

function routesOf(zoneId: string): string {
  return `/zones/${segment(zoneId)}/gateway/routes`;
}

/** `api.example.com/v1 -> http://backend:8080 (prefix stripped)` */
function describe(route: RouteView): string {
  const path = route.path_prefix === '/' ? '' : route.path_prefix;
  return `${route.hostname}${path} -> ${route.upstream}${route.strip_prefix ? ' (prefix stripped)' : ''}`;
}
