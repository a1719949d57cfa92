/**
 * `portcullis zone san-policy show|set|reset <zone-id>`: which subject alternative names requested in a CSR the
 * zone's managed CA certifies (docs/adr/0019-san-policy-for-issued-certificates.md). `set` replaces the whole
 * policy: what is not given is allowed nowhere.
 */
import type { Command } from 'commander';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { formatDetails, printResult } from '../output.ts';

interface SanPolicyView {
  dns_domains: string[];
  email_domains: string[];
  uri_prefixes: string[];
  ip_addresses: boolean;
  is_default: boolean;
}

interface SetOptions extends AdminCommandOptions {
  dnsDomain?: string[];
  emailDomain?: string[];
  uriPrefix?: string[];
  ip?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const route = (zoneId: string): string => `/zones/${segment(zoneId)}/settings/client_certificate_san_policy`;

/** Adds `san-policy` under the `zone` command (registered first by registerZoneCommand). */
export function registerZoneSanPolicyCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const zone = program.commands.find((command) => command.name() === 'zone');
  if (zone === undefined) throw new Error('the zone command must be registered first');
  const policy = zone
    .command('san-policy')
    .description('which subject alternative names requested in CSRs the zone certifies');
  const print = (options: AdminCommandOptions, zoneId: string, view: SanPolicyView): void => {
    printResult(options, view, () => describe(zoneId, view));
  };

  withAdminCommandOptions(
    policy.command('show').description("show the zone's SAN policy").argument('<zone-id>', 'zone'),
  ).action((zoneId: string, options: AdminCommandOptions) => {
    setResult(
      runAdminCommand(async () => {
        const client = await connect(options);
        print(options, zoneId, (await client.get<{ value: SanPolicyView }>(route(zoneId))).value);
      }),
    );
  });

  withAdminCommandOptions(
    policy
      .command('set')
      .description('replace the SAN policy (names of kinds not given are refused)')
      .argument('<zone-id>', 'zone')
      .option('--dns-domain <domain>', 'DNS names equal to or under this domain; * for any (repeatable)', collect)
      .option('--email-domain <domain>', 'email addresses in this domain or under it; * for any (repeatable)', collect)
      .option(
        '--uri-prefix <prefix>',
        'URIs starting with this, ending in / or :, e.g. spiffe://example.com/ (repeatable)',
        collect,
      )
      .option('--ip', 'IP addresses'),
  ).action((zoneId: string, options: SetOptions) => {
    setResult(
      runAdminCommand(async () => {
        const client = await connect(options);
        const set = await client.send<{ value: SanPolicyView }>('PATCH', route(zoneId), {
          value: {
            dns_domains: options.dnsDomain ?? [],
            email_domains: options.emailDomain ?? [],
            uri_prefixes: options.uriPrefix ?? [],
            ip_addresses: options.ip === true,
          },
        });
        print(options, zoneId, set.value);
      }),
    );
  });

  withAdminCommandOptions(
    policy.command('reset').description("go back to the zone's default SAN policy").argument('<zone-id>', 'zone'),
  ).action((zoneId: string, options: AdminCommandOptions) => {
    setResult(
      runAdminCommand(async () => {
        const client = await connect(options);
        print(options, zoneId, (await client.send<{ value: SanPolicyView }>('DELETE', route(zoneId))).value);
      }),
    );
  });
}

function describe(zoneId: string, view: SanPolicyView): string {
  const list = (items: string[]): string => (items.length === 0 ? 'none' : items.join(', '));
  return formatDetails([
    ['Zone', `${zoneId}${view.is_default ? ' (default policy)' : ''}`],
    ['DNS domains', list(view.dns_domains)],
    ['Email domains', list(view.email_domains)],
    ['URI prefixes', list(view.uri_prefixes)],
    ['IP addresses', view.ip_addresses ? 'allowed' : 'refused'],
  ]);
}
