/**
 * `portcullis zone create NAME --account ID [--delegated]`, `portcullis zone list [--account ID]`
 * and `portcullis zone delete ID`, through the admin API.
 */
import type { Command } from 'commander';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, formatListing, printResult, when } from '../output.ts';

interface ZoneView {
  id: string;
  name: string;
  status: string;
  account: { id: string; name: string };
  created_on: string;
  delegated: boolean;
}

interface Options extends AdminCommandOptions {
  account?: string;
}

interface CreateOptions extends Options {
  account: string;
  delegated?: boolean;
}

export function registerZoneCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const zone = program.command('zone').description('manage zones (domains of an account) through the admin API');

  withAdminCommandOptions(
    zone
      .command('create')
      .description('create a zone in an account')
      .argument('<name>', 'domain, e.g. example.com')
      .requiredOption('--account <id>', 'account the zone belongs to')
      .option(
        '--delegated',
        "operator only: allow the zone to be a parent or a subdomain of another account's zone (docs/adr/0007)",
      ),
  ).action((name: string, options: CreateOptions) => {
    setResult(
      runAdminCommand(async () => {
        const client = await connect(options);
        const created = await client.send<ZoneView>('POST', '/zones', {
          name,
          account: { id: options.account },
          ...(options.delegated === true ? { delegated: true } : {}),
        });
        const delegated = created.delegated ? ' (delegated)' : '';
        printResult(
          options,
          created,
          () => `Created zone ${created.name} (${created.id}) in account ${created.account.id}${delegated}`,
        );
      }),
    );
  });

  withAdminCommandOptions(
    zone.command('list').description('list zones').option('--account <id>', 'only the zones of this account'),
  ).action((options: Options) => {
    setResult(
      runAdminCommand(async () => {
        const client = await connect(options);
        const zones = await client.listAll<ZoneView>('/zones', { 'account.id': options.account });
        printResult(options, zones, () =>
          formatListing(
            zones,
            [
              { header: 'ID', value: (z) => z.id },
              { header: 'NAME', value: (z) => z.name },
              { header: 'ACCOUNT', value: (z) => z.account.id },
              { header: 'STATUS', value: (z) => z.status },
              { header: 'CREATED', value: (z) => when(z.created_on) },
            ],
            count(zones.length, 'zone'),
          ),
        );
      }),
    );
  });

  withAdminCommandOptions(
    zone
      .command('delete')
      .description(
        'delete a zone; refused while it has routes, APIs, hostname associations, edge certificates, custom rules or active client certificates',
      )
      .argument('<zone-id>', 'id of the zone (from zone list)'),
  ).action((zoneId: string, options: Options) => {
    setResult(
      runAdminCommand(async () => {
        const client = await connect(options);
        const deleted = await client.send<{ id: string }>('DELETE', `/zones/${segment(zoneId)}`);
        printResult(options, deleted, () => `Deleted zone ${deleted.id}`);
      }),
    );
  });
}
