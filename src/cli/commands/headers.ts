/**
 * `portcullis headers show|set|off <zone-id>`: the identity headers a zone sends upstream (Cloudflare's
 * Managed Transforms, `/zones/{id}/managed_headers`): xfcc, cf, rfc9440.
 */
import type { Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { formatTable, printResult } from '../output.ts';

interface Transform {
  id: string;
  enabled: boolean;
}
interface ManagedHeaders {
  managed_request_headers: Transform[];
}

/** The short names users type, as the config file spells them (identity_headers). */
const FORMATS: Readonly<Record<string, string>> = {
  xfcc: 'add_forwarded_client_cert_header',
  cf: 'add_client_certificate_headers',
  rfc9440: 'add_rfc9440_client_cert_headers',
};
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const route = (zoneId: string): string => `/zones/${segment(zoneId)}/managed_headers`;

function transformId(format: string): string {
  const id = FORMATS[format.toLowerCase()];
  if (id === undefined) throw GW_ERR_USAGE.create(`unknown header format "${format}" (xfcc, cf, rfc9440)`);
  return id;
}

function describe(headers: ManagedHeaders): string {
  const formatOf = (id: string): string => Object.entries(FORMATS).find(([, value]) => value === id)?.[0] ?? id;
  return formatTable(headers.managed_request_headers, [
    { header: 'FORMAT', value: (t) => formatOf(t.id) },
    { header: 'TRANSFORM', value: (t) => t.id },
    { header: 'ENABLED', value: (t) => (t.enabled ? 'yes' : 'no') },
  ]);
}

export function registerHeadersCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const headers = program.command('headers').description('identity headers a zone sends upstream');
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));

  withAdminCommandOptions(
    headers.command('show').description('which identity headers are sent').argument('<zone-id>', 'zone'),
  ).action((zoneId: string, options: AdminCommandOptions) => {
    run(async () => {
      const client = await connect(options);
      const shown = await client.get<ManagedHeaders>(route(zoneId));
      printResult(options, shown, () => describe(shown));
    });
  });

  withAdminCommandOptions(
    headers
      .command('set')
      .description('turn formats on or off (the others keep their state)')
      .argument('<zone-id>', 'zone')
      .option('--enable <format>', 'xfcc, cf or rfc9440 (repeatable)', collect)
      .option('--disable <format>', 'xfcc, cf or rfc9440 (repeatable)', collect),
  ).action((zoneId: string, options: AdminCommandOptions & { enable?: string[]; disable?: string[] }) => {
    run(async () => {
      const changes = [
        ...(options.enable ?? []).map((format) => ({ id: transformId(format), enabled: true })),
        ...(options.disable ?? []).map((format) => ({ id: transformId(format), enabled: false })),
      ];
      if (changes.length === 0) throw GW_ERR_USAGE.create('give --enable FORMAT or --disable FORMAT');
      const client = await connect(options);
      const set = await client.send<ManagedHeaders>('PATCH', route(zoneId), { managed_request_headers: changes });
      printResult(options, set, () => describe(set));
    });
  });

  withAdminCommandOptions(
    headers.command('off').description('send no identity headers at all').argument('<zone-id>', 'zone'),
  ).action((zoneId: string, options: AdminCommandOptions) => {
    run(async () => {
      const client = await connect(options);
      // PATCH with every transform off rather than DELETE: the same effect, and an answer to show (DELETE is 204).
      const off = await client.send<ManagedHeaders>('PATCH', route(zoneId), {
        managed_request_headers: Object.values(FORMATS).map((id) => ({ id, enabled: false })),
      });
      printResult(options, off, () => describe(off));
    });
  });
}
