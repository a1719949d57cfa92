/**
 * `portcullis token create|list|revoke|verify`: API tokens through the admin API. A new token's
 * secret is printed once, at creation; the API never shows it again.
 */
import { Option, type Command } from 'commander';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, formatListing, printResult, tally, when } from '../output.ts';

interface TokenView {
  id: string;
  name: string;
  status: string;
  scope: { kind: 'global' | 'account' | 'zone'; account_id?: string; zone_id?: string };
  permission: 'read' | 'edit';
  issued_on: string;
  expires_on: string | null;
}

type Options = AdminCommandOptions;

interface CreateOptions extends Options {
  name: string;
  permission: 'read' | 'edit';
  account?: string;
  zone?: string;
}

function describeScope(scope: TokenView['scope']): string {
  if (scope.kind === 'zone') return `zone ${scope.zone_id ?? '?'}`;
  if (scope.kind === 'account') return `account ${scope.account_id ?? '?'}`;
  return 'everything';
}

export function registerTokenCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const token = program.command('token').description('manage API tokens through the admin API');
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));

  withAdminCommandOptions(
    token
      .command('create')
      .description('create a token scoped to an account or a zone; prints its secret once')
      .requiredOption('--name <name>', 'what the token is for')
      .addOption(
        new Option('--permission <permission>', 'read or edit').choices(['read', 'edit']).makeOptionMandatory(),
      )
      .option('--account <id>', 'limit the token to this account')
      .option('--zone <id>', 'limit the token to this zone'),
  ).action((options: CreateOptions) => {
    run(async () => {
      const client = await connect(options);
      const scope = {
        ...(options.account === undefined ? {} : { account_id: options.account }),
        ...(options.zone === undefined ? {} : { zone_id: options.zone }),
      };
      const created = await client.send<TokenView & { value: string }>('POST', '/user/tokens', {
        name: options.name,
        permission: options.permission,
        scope,
      });
      printResult(options, created, () =>
        [
          `Created token ${created.id} "${created.name}" (${created.permission}, ${describeScope(created.scope)})`,
          '',
          'Secret (shown only this once; store it now):',
          `  ${created.value}`,
        ].join('\n'),
      );
    });
  });

  withAdminCommandOptions(token.command('list').description('list the tokens this token can see')).action(
    (options: Options) => {
      run(async () => {
        const client = await connect(options);
        const tokens = await client.get<TokenView[]>('/user/tokens');
        printResult(options, tokens, () =>
          formatListing(
            tokens,
            [
              { header: 'ID', value: (t) => t.id },
              { header: 'NAME', value: (t) => t.name },
              { header: 'PERMISSION', value: (t) => t.permission },
              { header: 'SCOPE', value: (t) => describeScope(t.scope) },
              { header: 'STATUS', value: (t) => t.status },
              { header: 'EXPIRES', value: (t) => when(t.expires_on) },
            ],
            tokens.length === 0
              ? count(0, 'token')
              : `${count(tokens.length, 'token')} (${tally(tokens.map((t) => t.status))})`,
          ),
        );
      });
    },
  );

  withAdminCommandOptions(
    token.command('revoke').description('revoke a token; it stops working at once').argument('<token-id>', 'token id'),
  ).action((id: string, options: Options) => {
    run(async () => {
      const client = await connect(options);
      const revoked = await client.send<TokenView>('DELETE', `/user/tokens/${segment(id)}`);
      printResult(options, revoked, () => `Revoked token ${revoked.id} "${revoked.name}" (status ${revoked.status})`);
    });
  });

  withAdminCommandOptions(token.command('verify').description('check that the token in use is valid')).action(
    (options: Options) => {
      run(async () => {
        const client = await connect(options);
        const envelope = await client.call<{ id: string; status: string; expires_on?: string }>(
          'GET',
          '/user/tokens/verify',
        );
        const { result } = envelope;
        printResult(options, result, () => {
          const note = envelope.messages[0]?.message;
          const expiry = result.expires_on === undefined ? '' : `, expires ${result.expires_on}`;
          return `Token ${result.id} is ${result.status}${expiry}${note === undefined ? '' : `: ${note}`}`;
        });
      });
    },
  );
}
