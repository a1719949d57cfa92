/**
 * `portcullis cert tag set|get` and `cert revoke-bulk`: fleet operations on a zone's client
 * certificates (docs/adr/0016). A bulk revocation is one API call: every active certificate that
 * meets all the criteria given is revoked together, and every gateway refuses them at once.
 */
import type { Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, printResult } from '../output.ts';
import { collect } from './policy.ts';

interface Options extends AdminCommandOptions {
  zone: string;
}

interface BulkOptions extends Options {
  tag?: string;
  profile?: string;
  ca?: string;
  issuedBefore?: string;
}

export function registerFleetCommands(cert: Command, run: (work: () => Promise<void>) => void): void {
  const tag = cert.command('tag').description("a client certificate's tags");
  const tagsRoute = (zone: string, id: string): string =>
    `/zones/${segment(zone)}/client_certificates/${segment(id)}/tags`;

  withAdminCommandOptions(
    tag
      .command('set')
      .description("replace a certificate's tags (no --tag: remove them all)")
      .requiredOption('--zone <id>', 'zone of the certificate')
      .option('--tag <tag>', 'a tag (repeat)', collect, [])
      .argument('<cert-id>', 'client certificate id'),
  ).action((id: string, options: Options & { tag: string[] }) => {
    run(async () => {
      const client = await connect(options);
      const result = await client.send<{ tags: string[] }>('PUT', tagsRoute(options.zone, id), { tags: options.tag });
      printResult(options, result, () => `Tags of ${id}: ${result.tags.join(', ') || '(none)'}`);
    });
  });

  withAdminCommandOptions(
    tag
      .command('get')
      .description("show a certificate's tags, one a line")
      .requiredOption('--zone <id>', 'zone of the certificate')
      .argument('<cert-id>', 'client certificate id'),
  ).action((id: string, options: Options) => {
    run(async () => {
      const client = await connect(options);
      const result = await client.get<{ tags: string[] }>(tagsRoute(options.zone, id));
      printResult(options, result, () => result.tags.join('\n'));
    });
  });

  withAdminCommandOptions(
    cert
      .command('revoke-bulk')
      .description('revoke every active certificate of the zone that meets ALL the criteria given, in one call')
      .requiredOption('--zone <id>', 'zone')
      .option('--tag <tag>', 'certificates that carry this tag')
      .option('--profile <id>', 'certificates enrolled through this EST profile')
      .option('--ca <id>', 'certificates issued by this CA')
      .option('--issued-before <time>', 'certificates issued before this RFC 3339 time'),
  ).action((options: BulkOptions) => {
    run(async () => {
      const criteria = {
        ...(options.tag === undefined ? {} : { tag: options.tag }),
        ...(options.profile === undefined ? {} : { profile_id: options.profile }),
        ...(options.ca === undefined ? {} : { ca_id: options.ca }),
        ...(options.issuedBefore === undefined ? {} : { issued_before: options.issuedBefore }),
      };
      // Refused here too: a bulk revocation without criteria would mean "all", which the API refuses.
      if (Object.keys(criteria).length === 0) {
        throw GW_ERR_USAGE.create('give at least one of --tag, --profile, --ca, --issued-before');
      }
      const client = await connect(options);
      // Without --json only the count is printed: the first id is all the answer needs to carry.
      const query = options.json === true ? '' : '?per_page=1';
      const result = await client.send<{ revoked: number; ids: string[] }>(
        'POST',
        `/zones/${segment(options.zone)}/client_certificates/revoke${query}`,
        criteria,
      );
      printResult(options, result, () => `Revoked ${count(result.revoked, 'client certificate')}`);
    });
  });
}
