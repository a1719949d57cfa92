/**
 * `portcullis edge-cert upload|list|get|delete`: a zone's edge (server) certificates, Cloudflare's
 * `custom_certificates`. The upload is the one command that sends a private key to the gateway on
 * purpose: the gateway must hold the key of the certificate it presents. The API never returns it.
 */
import type { Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { readInputFile, runAdminCommand, withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { readPemInput } from '../pem-input.ts';
import { count, formatDetails, formatListing, printResult, when } from '../output.ts';

interface EdgeCertificateView {
  id: string;
  zone_id: string;
  hosts: string[];
  issuer: string;
  signature: string;
  status: string;
  expires_on: string;
  uploaded_on: string;
}

interface ZoneOptions extends AdminCommandOptions {
  zone: string;
}

interface UploadOptions extends ZoneOptions {
  cert: string;
  key: string;
}

/** Any PEM key label (RFC 7468 §10, §11, and the older PKCS #1 / SEC 1 ones); the API checks the key itself. */
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

const certificatesOf = (zoneId: string): string => `/zones/${segment(zoneId)}/custom_certificates`;

export function registerEdgeCertCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const edge = program
    .command('edge-cert')
    .description("manage a zone's edge (server) certificates, presented to clients by hostname");
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));
  const zoneCommand = (name: string, description: string): Command =>
    withAdminCommandOptions(
      edge.command(name).description(description).requiredOption('--zone <id>', 'zone of the certificate'),
    );

  zoneCommand('upload', 'upload a server certificate (its SANs must be under the zone) with its private key')
    .requiredOption('--cert <cert.pem>', 'the certificate, PEM, then its intermediates')
    .requiredOption('--key <key.pem>', 'its unencrypted private key, PEM')
    .action((options: UploadOptions) => {
      run(async () => {
        // Both files are checked before anything is sent: the key file must hold a key, the
        // certificate file a certificate and no key.
        const certificate = await readPemInput(options.cert, '--cert', 'CERTIFICATE');
        const privateKey = await readInputFile(options.key, '--key');
        if (!PRIVATE_KEY.test(privateKey)) {
          throw GW_ERR_USAGE.create(`--key: ${options.key} is not a PEM private key (nothing was sent)`);
        }
        const client = await connect(options);
        const uploaded = await client.send<EdgeCertificateView>('POST', certificatesOf(options.zone), {
          certificate,
          private_key: privateKey,
        });
        printResult(
          options,
          uploaded,
          () => `Uploaded edge certificate ${uploaded.id} for ${uploaded.hosts.join(', ')}\n${details(uploaded)}`,
        );
      });
    });

  zoneCommand('list', "list a zone's edge certificates").action((options: ZoneOptions) => {
    run(async () => {
      const client = await connect(options);
      const items = await client.get<EdgeCertificateView[]>(certificatesOf(options.zone));
      printResult(options, items, () =>
        formatListing(
          items,
          [
            { header: 'ID', value: (c) => c.id },
            { header: 'HOSTS', value: (c) => c.hosts.join(',') },
            { header: 'ISSUER', value: (c) => c.issuer },
            { header: 'EXPIRES', value: (c) => when(c.expires_on) },
          ],
          `${count(items.length, 'edge certificate')} in zone ${options.zone}`,
        ),
      );
    });
  });

  zoneCommand('get', 'show one edge certificate')
    .argument('<certificate-id>', 'id of the certificate (from edge-cert list)')
    .action((id: string, options: ZoneOptions) => {
      run(async () => {
        const client = await connect(options);
        const item = await client.get<EdgeCertificateView>(`${certificatesOf(options.zone)}/${segment(id)}`);
        printResult(options, item, () => `Edge certificate ${item.id}\n${details(item)}`);
      });
    });

  zoneCommand('delete', 'delete an edge certificate (its hostnames fall back to the edge CA)')
    .argument('<certificate-id>', 'id of the certificate (from edge-cert list)')
    .action((id: string, options: ZoneOptions) => {
      run(async () => {
        const client = await connect(options);
        const deleted = await client.send<{ id: string }>('DELETE', `${certificatesOf(options.zone)}/${segment(id)}`);
        printResult(options, deleted, () => `Deleted edge certificate ${deleted.id}`);
      });
    });
}

function details(item: EdgeCertificateView): string {
  return formatDetails([
    ['Zone', item.zone_id],
    ['Hosts', item.hosts.join(', ')],
    ['Issuer', item.issuer],
    ['Status', item.status],
    ['Uploaded', when(item.uploaded_on)],
    ['Expires', when(item.expires_on)],
  ]);
}
