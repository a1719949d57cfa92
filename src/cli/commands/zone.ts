/** `portcullis zone create NAME --account ID` and `portcullis zone list [--account ID]`. */
import type { Command } from 'commander';
import { connect, runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-client.ts';
import { count, formatListing, printResult, when } from '../output.ts';

interface ZoneView {
  id: string;
  name: string;
  status: string;
  account: { id: string; name: string };
  created_on: string;
}

interface Options extends AdminCommandOptions {
  account?: string;
}

export function registerZoneCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const zone = program.command('zone').description('manage zones (domains of an account) through the admin API');

  withAdminCommandOptions(
    zone
      .command('create')
      .description('create a zone in an account')
      .argument('<name>', 'domain, e.g. example.com')
      .requiredOption('--account <id>', 'account the zone belongs to'),
  ).action((name: string, options: Options & { account: string }) => {
    setResult(
      runAdminCommand(async () => {
        const client = await connect(options);
        const created = await client.send<ZoneView>('POST', '/zones', { name, account: { id: options.account } });
        printResult(
          options,
          created,
          () => `Created zone ${created.name} (${created.id}) in account ${created.account.id}`,
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
}
