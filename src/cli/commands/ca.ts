/**
 * `portcullis ca upload|list|update|delete` (an account's own client CAs, Cloudflare's mtls_certificates, with
 * their compatibility: docs/adr/0008) and
 * `portcullis ca associate|associations|associations clear` (which hostnames of a zone trust which CA; no --ca = the
 * account's managed CA). Revoking certificates of an uploaded CA (`ca crl`, `ca revocation`,
 * `ca block`): ca-revocation.ts.
 */
import type { Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { readPemInput } from '../pem-input.ts';
import { count, formatListing, printResult, when } from '../output.ts';
import { registerCaRevocationCommands } from './ca-revocation.ts';

interface MtlsCertificateView {
  id: string;
  name: string;
  ca: boolean;
  issuer: string;
  serial_number: string;
  uploaded_on: string;
  expires_on: string;
  compatibility: string;
}

interface Associations {
  hostnames: string[];
  mtls_certificate_id?: string;
}

type Options = AdminCommandOptions;

interface AccountOptions extends Options {
  account: string;
}

interface ZoneOptions extends Options {
  zone: string;
  ca?: string;
}

const trust = (hostnames: readonly string[]): string => (hostnames.length === 1 ? 'trusts' : 'trust');
const caName = (id: string | undefined): string => (id === undefined ? 'the managed CA' : `CA ${id}`);
const COMPATIBILITY_HELP =
  'strict (default), or legacy: accept CAs and client chains without key identifiers or a critical root basicConstraints';

export function registerCaCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const ca = program.command('ca').description('manage client CAs and which hostnames trust them');
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));

  withAdminCommandOptions(
    ca
      .command('upload')
      .description('upload a CA certificate (PEM) that client certificates may chain to')
      .requiredOption('--account <id>', 'account that owns the CA')
      .requiredOption('--file <ca.pem>', 'the CA certificate, PEM (a bundle is accepted)')
      .option('--name <name>', 'a name to recognise it by')
      .option('--compatibility <strict|legacy>', COMPATIBILITY_HELP),
  ).action((options: AccountOptions & { file: string; name?: string; compatibility?: string }) => {
    run(async () => {
      const certificates = await readPemInput(options.file, '--file', 'CERTIFICATE');
      const client = await connect(options);
      const uploaded = await client.send<MtlsCertificateView>(
        'POST',
        `/accounts/${segment(options.account)}/mtls_certificates`,
        {
          ca: true,
          certificates,
          ...(options.name === undefined ? {} : { name: options.name }),
          ...(options.compatibility === undefined ? {} : { compatibility: options.compatibility }),
        },
      );
      printResult(
        options,
        uploaded,
        () =>
          `Uploaded CA ${uploaded.id}${uploaded.name === '' ? '' : ` "${uploaded.name}"`}: ${uploaded.issuer}, expires ${uploaded.expires_on}, ${uploaded.compatibility}`,
      );
    });
  });

  withAdminCommandOptions(
    ca
      .command('update')
      .description("change an uploaded CA's compatibility (checked again under the new one)")
      .requiredOption('--account <id>', 'account')
      .requiredOption('--compatibility <strict|legacy>', COMPATIBILITY_HELP)
      .argument('<ca-id>', 'id of the CA (from ca list)'),
  ).action((id: string, options: AccountOptions & { compatibility: string }) => {
    run(async () => {
      const client = await connect(options);
      const updated = await client.send<MtlsCertificateView>(
        'PATCH',
        `/accounts/${segment(options.account)}/mtls_certificates/${segment(id)}`,
        { compatibility: options.compatibility },
      );
      printResult(options, updated, () => `CA ${updated.id} is now ${updated.compatibility}`);
    });
  });

  withAdminCommandOptions(
    ca.command('list').description("list an account's uploaded CAs").requiredOption('--account <id>', 'account'),
  ).action((options: AccountOptions) => {
    run(async () => {
      const client = await connect(options);
      const all = await client.get<MtlsCertificateView[]>(`/accounts/${segment(options.account)}/mtls_certificates`);
      const cas = all.filter((certificate) => certificate.ca);
      printResult(options, cas, () =>
        formatListing(
          cas,
          [
            { header: 'ID', value: (c) => c.id },
            { header: 'NAME', value: (c) => c.name },
            { header: 'ISSUER', value: (c) => c.issuer },
            { header: 'COMPATIBILITY', value: (c) => c.compatibility },
            { header: 'EXPIRES', value: (c) => when(c.expires_on) },
          ],
          `${count(cas.length, 'CA')} in account ${options.account}`,
        ),
      );
    });
  });

  withAdminCommandOptions(
    ca
      .command('delete')
      .description('delete an uploaded CA (refused while a hostname trusts it)')
      .requiredOption('--account <id>', 'account')
      .argument('<ca-id>', 'id of the CA (from ca list)'),
  ).action((id: string, options: AccountOptions) => {
    run(async () => {
      const client = await connect(options);
      const deleted = await client.send<MtlsCertificateView>(
        'DELETE',
        `/accounts/${segment(options.account)}/mtls_certificates/${segment(id)}`,
      );
      printResult(options, deleted, () => `Deleted CA ${deleted.id}${deleted.name === '' ? '' : ` "${deleted.name}"`}`);
    });
  });

  withAdminCommandOptions(
    ca
      .command('associate')
      .description('set the hostnames of a zone that trust a CA (replaces the previous set)')
      .requiredOption('--zone <id>', 'zone of the hostnames')
      .option('--ca <mtls-certificate-id>', 'an uploaded CA (default: the managed CA)')
      .argument('<hostname...>', 'hostnames under the zone'),
  ).action((hostnames: string[], options: ZoneOptions) => {
    run(async () => {
      const client = await connect(options);
      const result = await client.send<Associations>('PUT', associationsRoute(options.zone), {
        hostnames,
        ...(options.ca === undefined ? {} : { mtls_certificate_id: options.ca }),
      });
      printResult(
        options,
        result,
        () =>
          `Zone ${options.zone}: ${count(result.hostnames.length, 'hostname')} now ${trust(result.hostnames)} ${caName(options.ca)}: ${result.hostnames.join(', ')}`,
      );
    });
  });

  const associations = withAdminCommandOptions(
    ca
      .command('associations')
      .description('show the hostnames of a zone that trust a CA (clear: trust it on none)')
      // Not requiredOption: commander demands a parent's required options of its subcommands too (clear).
      .option('--zone <id>', 'zone (required)')
      .option('--ca <mtls-certificate-id>', 'an uploaded CA (default: the managed CA)'),
  );
  associations.action((options: Options & { zone?: string; ca?: string }) => {
    run(async () => {
      if (options.zone === undefined)
        throw GW_ERR_USAGE.create("ca associations: required option '--zone <id>' not specified");
      const client = await connect(options);
      const result = await client.get<Associations>(
        associationsRoute(options.zone),
        options.ca === undefined ? {} : { mtls_certificate_id: options.ca },
      );
      printResult(options, result, () =>
        result.hostnames.length === 0
          ? `No hostname of zone ${options.zone} trusts ${caName(options.ca)}`
          : [
              `${count(result.hostnames.length, 'hostname')} of zone ${options.zone} ${trust(result.hostnames)} ${caName(options.ca)}:`,
              ...result.hostnames.map((hostname) => `  ${hostname}`),
            ].join('\n'),
      );
    });
  });

  withAdminCommandOptions(
    associations
      .command('clear')
      .description('no hostname of the zone trusts the CA any more (they stop asking for it)')
      .argument('<zone-id>', 'zone')
      .option('--ca <mtls-certificate-id>', 'an uploaded CA (default: the managed CA)'),
  ).action((zoneId: string, _options: unknown, command: Command) => {
    // The parent `associations` takes the same connection options and commander gives them to it.
    const options = command.optsWithGlobals<Options & { ca?: string }>();
    run(async () => {
      const client = await connect(options);
      // An empty list through the same PUT as associate: the API has no DELETE for associations.
      const result = await client.send<Associations>('PUT', associationsRoute(zoneId), {
        hostnames: [],
        ...(options.ca === undefined ? {} : { mtls_certificate_id: options.ca }),
      });
      printResult(options, result, () => `Zone ${zoneId}: no hostname trusts ${caName(options.ca)} any more`);
    });
  });

  registerCaRevocationCommands(ca, run);
}

function associationsRoute(zoneId: string): string {
  return `/zones/${segment(zoneId)}/certificate_authorities/hostname_associations`;
}
