/**
 * `portcullis cert issue|list|show|revoke|reactivate`: client certificates a zone's managed CA issues.
 * `issue --generate` makes the ECDSA P-256 key and the CSR here; only the CSR goes to the API and the
 * key is written with mode 0600 next to the certificate. `tag set|get` and `list --tag` manage a
 * fleet's tags; `revoke-bulk` revokes every match of a tag, profile, CA or issue time in one call
 * (docs/adr/0016).
 */
import 'reflect-metadata';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import type * as x509 from '@peculiar/x509';
import { generateKeyAndCsr } from '../../pki/key-and-csr.ts';
import { connect, segment } from '../../admin-client/admin-client.ts';
import {
  AdminCommandError,
  runAdminCommand,
  withAdminCommandOptions,
  type AdminCommandOptions,
} from '../admin-command.ts';
import { readPemInput } from '../pem-input.ts';
import { parseSanArgument } from '../san-argument.ts';
import { P12_PASSPHRASE_VARIABLE, readP12Passphrase, writeP12 } from '../p12-output.ts';
import { registerFleetCommands } from './cert-fleet.ts';
import { count, formatDetails, formatListing, printResult, tally } from '../output.ts';

interface ClientCertificateView {
  id: string;
  certificate: string;
  certificate_authority: { id: string; name: string };
  common_name: string;
  organization: string;
  organizational_unit: string;
  country: string;
  state: string;
  location: string;
  expires_on: string;
  issued_on: string;
  fingerprint_sha256: string;
  serial_number: string;
  status: string;
  validity_days: number;
}

interface Options extends AdminCommandOptions {
  zone: string;
}

interface IssueOptions extends Options {
  csr?: string;
  generate?: boolean;
  cn?: string;
  o?: string;
  san?: string[];
  p12?: boolean;
  p12PassphraseFile?: string;
  outDir?: string;
  out?: string;
  days: number;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const STATUSES = ['all', 'active', 'pending_reactivation', 'pending_revocation', 'revoked'];

function parseDays(text: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1)
    throw new InvalidArgumentError('--days takes a whole number of days');
  return Number(text);
}

export function registerCertCommand(program: Command, setResult: (result: Promise<number>) => void): void {
  const cert = program.command('cert').description("manage client certificates issued by a zone's managed CA");
  const run = (work: () => Promise<void>): void => setResult(runAdminCommand(work));
  const item = (name: string, description: string): Command =>
    withAdminCommandOptions(
      cert
        .command(name)
        .description(description)
        .requiredOption('--zone <id>', 'zone of the certificate')
        .argument('<cert-id>', 'client certificate id'),
    );

  withAdminCommandOptions(
    cert
      .command('issue')
      .description('issue a client certificate from a CSR, or from a key pair made here (--generate)')
      .requiredOption('--zone <id>', 'zone the certificate is for')
      .option('--csr <file>', 'a PEM CSR; the certificate goes to <csr name>.pem beside it (or --out)')
      .option('--out <file>', 'with --csr: where to write the certificate')
      .option('--generate', 'make an ECDSA P-256 key and a CSR locally; the key never leaves this machine')
      .option('--cn <name>', 'with --generate: the common name')
      .option('--o <organization>', 'with --generate: the organization')
      .option(
        '--san <name>',
        "with --generate: a subject alternative name to request (DNS:…, URI:…, email:…, IP:…; repeatable); the zone's SAN policy decides",
        collect,
      )
      .option('--p12', 'with --generate: also write <cn>.p12 (PKCS #12 with the key and certificate, mode 0600)')
      .option(
        '--p12-passphrase-file <file>',
        `the .p12 passphrase (first line); or ${P12_PASSPHRASE_VARIABLE}, never on the command line`,
      )
      .option('--out-dir <dir>', 'with --generate: where <cn>.key and <cn>.pem go (default: the current directory)')
      .addOption(new Option('--days <n>', 'validity in days').argParser(parseDays).default(365)),
  ).action((options: IssueOptions) => {
    run(() => issue(options));
  });

  withAdminCommandOptions(
    cert
      .command('list')
      .description("list a zone's client certificates")
      .requiredOption('--zone <id>', 'zone')
      .addOption(new Option('--status <status>', 'only certificates in this status').choices(STATUSES))
      .option('--tag <tag>', 'only certificates that carry this tag'),
  ).action((options: Options & { status?: string; tag?: string }) => {
    run(async () => {
      const client = await connect(options);
      const certificates = await client.listAll<ClientCertificateView>(
        `/zones/${segment(options.zone)}/client_certificates`,
        { status: options.status, tag: options.tag },
      );
      const summary = `${count(certificates.length, 'client certificate')} in zone ${options.zone}${
        options.tag === undefined ? '' : ` tagged ${options.tag}`
      }`;
      printResult(options, certificates, () =>
        formatListing(
          certificates,
          [
            { header: 'ID', value: (c) => c.id },
            { header: 'COMMON NAME', value: (c) => c.common_name },
            { header: 'STATUS', value: (c) => c.status },
            { header: 'EXPIRES', value: (c) => c.expires_on },
            { header: 'SERIAL', value: (c) => c.serial_number },
          ],
          certificates.length === 0 ? summary : `${summary} (${tally(certificates.map((c) => c.status))})`,
        ),
      );
    });
  });

  item('show', 'show one client certificate').action((id: string, options: Options) => {
    run(async () => {
      const client = await connect(options);
      const shown = await client.get<ClientCertificateView>(certificateRoute(options.zone, id));
      printResult(options, shown, () => describe(shown));
    });
  });

  item('revoke', 'revoke a client certificate (pending_revocation, then revoked)').action(
    (id: string, options: Options) => {
      run(async () => {
        const client = await connect(options);
        const revoked = await client.send<ClientCertificateView>('DELETE', certificateRoute(options.zone, id));
        printResult(
          options,
          revoked,
          () => `Revoked certificate ${revoked.id} (${label(revoked)}): status ${revoked.status}`,
        );
      });
    },
  );

  registerFleetCommands(cert, run);

  item('reactivate', 'reactivate a revoked client certificate').action((id: string, options: Options) => {
    run(async () => {
      const client = await connect(options);
      const reactivated = await client.send<ClientCertificateView>('PATCH', certificateRoute(options.zone, id), {
        reactivate: true,
      });
      printResult(
        options,
        reactivated,
        () => `Reactivated certificate ${reactivated.id} (${label(reactivated)}): status ${reactivated.status}`,
      );
    });
  });
}

async function issue(options: IssueOptions): Promise<void> {
  const plan = planIssue(options);
  // Inputs before outputs: a wrong input file is the mistake to report, not an existing output.
  const givenCsr =
    plan.csrFile === undefined ? undefined : await readPemInput(plan.csrFile, '--csr', 'CERTIFICATE REQUEST');
  const passphrase = plan.p12File === undefined ? undefined : await readP12Passphrase(options.p12PassphraseFile);
  for (const file of [plan.certificateFile, plan.keyFile, plan.p12File]) {
    if (file !== undefined && (await exists(file))) {
      throw GW_ERR_USAGE.create(`${file} already exists; move it away or write elsewhere (--out / --out-dir)`);
    }
  }
  const client = await connect(options);
  let csr: string;
  let keyPem: string | undefined;
  if (givenCsr !== undefined) {
    csr = givenCsr;
  } else {
    ({ csrPem: csr, keyPem } = await generateKeyAndCsr(plan.commonName ?? '', options.o, plan.subjectAltNames));
    await mkdir(path.dirname(plan.certificateFile), { recursive: true });
  }
  const issued = await client.send<ClientCertificateView>(
    'POST',
    `/zones/${segment(options.zone)}/client_certificates`,
    {
      csr,
      validity_days: options.days,
    },
  );
  if (keyPem !== undefined && plan.keyFile !== undefined) await writeOutput(plan.keyFile, keyPem, 0o600, issued);
  await writeOutput(plan.certificateFile, issued.certificate, 0o644, issued);
  if (plan.p12File !== undefined && keyPem !== undefined && passphrase !== undefined) {
    const friendlyName = plan.commonName ?? issued.id;
    await writeP12(
      plan.p12File,
      { certificatePem: issued.certificate, privateKeyPem: keyPem, passphrase, friendlyName },
      issued.id,
    );
  }
  const files = {
    certificate: plan.certificateFile,
    ...(plan.keyFile === undefined ? {} : { private_key: plan.keyFile }),
    ...(plan.p12File === undefined ? {} : { pkcs12: plan.p12File }),
  };
  printResult(options, { ...issued, files }, () =>
    [
      `Issued certificate ${issued.id} for ${label(issued)}, expires ${issued.expires_on}`,
      `  certificate:  ${plan.certificateFile}`,
      ...(plan.keyFile === undefined ? [] : [`  private key:  ${plan.keyFile} (mode 0600; it was not sent anywhere)`]),
      ...(plan.p12File === undefined ? [] : [`  PKCS #12:     ${plan.p12File} (mode 0600; key and certificate)`]),
    ].join('\n'),
  );
}

interface IssuePlan {
  csrFile?: string;
  commonName?: string;
  subjectAltNames?: x509.JsonGeneralName[];
  certificateFile: string;
  keyFile?: string;
  p12File?: string;
}

/** Checks the combination of options and works out the files, before anything is read or sent. */
function planIssue(options: IssueOptions): IssuePlan {
  if ((options.csr === undefined) === (options.generate !== true)) {
    throw GW_ERR_USAGE.create('give either --csr FILE or --generate --cn NAME');
  }
  if (options.csr !== undefined) {
    for (const [flag, value] of [
      ['--cn', options.cn],
      ['--o', options.o],
      ['--san', options.san?.join(' ')],
      ['--p12', options.p12 === true ? 'set' : undefined],
      ['--out-dir', options.outDir],
    ] as const) {
      if (value !== undefined) throw GW_ERR_USAGE.create(`${flag} goes with --generate, not --csr`);
    }
    const parsed = path.parse(options.csr);
    const certificateFile = options.out ?? path.join(parsed.dir, `${parsed.name}.pem`);
    if (path.resolve(certificateFile) === path.resolve(options.csr)) {
      throw GW_ERR_USAGE.create(`the certificate would overwrite the CSR ${options.csr}; choose a file with --out`);
    }
    return { csrFile: options.csr, certificateFile };
  }
  if (options.out !== undefined) throw GW_ERR_USAGE.create('--out goes with --csr; use --out-dir with --generate');
  const commonName = options.cn?.trim() ?? '';
  if (commonName === '') throw GW_ERR_USAGE.create('--generate needs --cn NAME (the common name)');
  const base = commonName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '') || 'client';
  const dir = options.outDir ?? '.';
  return {
    commonName,
    subjectAltNames: (options.san ?? []).map(parseSanArgument),
    certificateFile: path.join(dir, `${base}.pem`),
    keyFile: path.join(dir, `${base}.key`),
    ...(options.p12 === true ? { p12File: path.join(dir, `${base}.p12`) } : {}),
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

async function writeOutput(file: string, content: string, mode: number, issued: ClientCertificateView): Promise<void> {
  try {
    await writeFile(file, content.endsWith('\n') ? content : `${content}\n`, { mode, flag: 'wx' });
  } catch (error) {
    throw new AdminCommandError(
      `certificate ${issued.id} was issued but ${file} could not be written (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

function certificateRoute(zoneId: string, id: string): string {
  return `/zones/${segment(zoneId)}/client_certificates/${segment(id)}`;
}

function label(certificate: ClientCertificateView): string {
  return `CN=${certificate.common_name}, serial ${certificate.serial_number}`;
}

function describe(certificate: ClientCertificateView): string {
  const subject = [
    ['Organization', certificate.organization],
    ['Org. unit', certificate.organizational_unit],
    ['Country', certificate.country],
    ['State', certificate.state],
    ['Location', certificate.location],
  ].filter((pair): pair is [string, string] => pair[1] !== '');
  return formatDetails([
    ['ID', certificate.id],
    ['Status', certificate.status],
    ['Common name', certificate.common_name],
    ...subject,
    ['Serial', certificate.serial_number],
    ['SHA-256', certificate.fingerprint_sha256],
    ['Issued', certificate.issued_on],
    ['Expires', `${certificate.expires_on} (${certificate.validity_days} days)`],
    ['CA', `${certificate.certificate_authority.id} ${certificate.certificate_authority.name}`.trim()],
  ]);
}
