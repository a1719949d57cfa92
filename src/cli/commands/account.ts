/** `portcullis account create NAME` and `portcullis account list`: accounts through the admin API. */
import type { Command } from 'commander';
import { connect } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, formatListing, printResult, when } from '../output.ts';

interface AccountView {
  id: string;
  name: string;
  created_on: string;
}

type Options = AdminCommandOptions;

export function registerAccountCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const account = program.command('account').description('manage accounts (tenants) through the admin API');

  withAdminCommandOptions(
    account.command('create').description('create an account').argument('<name>', 'account name'),
  ).action((name: string, options: Options) => {
    setResult(
      runAdminCommand(async () => {
        const client = await connect(options);
        const created = await client.send<AccountView>('POST', '/accounts', { name });
        printResult(options, created, () => `Created account ${created.id} "${created.name}"`);
      }),
    );
  });

  withAdminCommandOptions(account.command('list').description('list the accounts the token can see')).action(
    (options: Options) => {
      setResult(
        runAdminCommand(async () => {
          const client = await connect(options);
          const accounts = await client.listAll<AccountView>('/accounts');
          printResult(options, accounts, () =>
            formatListing(
              accounts,
              [
                { header: 'ID', value: (a) => a.id },
                { header: 'NAME', value: (a) => a.name },
                { header: 'CREATED', value: (a) => when(a.created_on) },
              ],
              count(accounts.length, 'account'),
            ),
          );
        }),
      );
    },
  );
}
