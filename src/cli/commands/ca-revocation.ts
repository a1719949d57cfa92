/**
 * `portcullis ca crl upload|show|delete`, `ca revocation show|set` and `ca block add|list|remove`:
 * revoking certificates of an uploaded CA (docs/adr/0014) through the admin API —
 *
 *   ca crl upload --account A --ca C --file fleet.crl     PEM or DER; refused when stale, signed by
 *                                                        another CA, or older than the one in force
 *   ca revocation set --account A --ca C --crl-fetch on --ocsp on --on-unavailable fail_open …
 *   ca block add --account A [--ca C] --sha256 H | --serial S | --cert device.pem
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { GW_ERR_USAGE } from '../../errors/index.ts';
import { connect, segment } from '../../admin-client/admin-client.ts';
import { withAdminCommandOptions, type AdminCommandOptions } from '../admin-command.ts';
import { count, formatDetails, formatListing, printResult, when } from '../output.ts';

interface CaOptions extends AdminCommandOptions {
  account: string;
  ca: string;
}

interface CrlView {
  issuer: string;
  crl_number: string;
  this_update: string;
  next_update: string;
  stale: boolean;
  revoked_count: number;
  source: string;
  source_url: string | null;
}

interface RevocationView {
  on_unavailable: string;
  crl_fetch: { enabled: boolean; urls: string[]; refresh_interval_seconds: number; timeout_ms: number };
  ocsp: { enabled: boolean; timeout_ms: number; nonce: boolean; max_cache_seconds: number };
  allow_private_addresses: boolean;
  crl_fetch_status: {
    discovered_urls: string[];
    last_fetch_at: string | null;
    last_success_at: string | null;
    last_error: string | null;
    next_fetch_at: string | null;
  };
  crls: CrlView[];
}

interface BlockView {
  id: string;
  sha256?: string;
  serial_number?: string;
  description: string;
  mtls_certificate_id?: string;
  created_on: string;
}

interface SetOptions extends CaOptions {
  onUnavailable?: string;
  crlFetch?: string;
  crlUrl?: string[];
  refreshInterval?: string;
  crlTimeout?: string;
  ocsp?: string;
  ocspTimeout?: string;
  ocspNonce?: string;
  ocspMaxCache?: string;
  allowPrivateAddresses?: string;
}

interface BlockOptions extends AdminCommandOptions {
  account: string;
  ca?: string;
  sha256?: string;
  serial?: string;
  cert?: string;
  description?: string;
}

const caRoute = (options: CaOptions): string =>
  `/accounts/${segment(options.account)}/mtls_certificates/${segment(options.ca)}`;
const blocksRoute = (options: { account: string; ca?: string }): string =>
  options.ca === undefined
    ? `/accounts/${segment(options.account)}/blocked_certificates`
    : `/accounts/${segment(options.account)}/mtls_certificates/${segment(options.ca)}/blocked_certificates`;
const scopeName = (options: { account: string; ca?: string }): string =>
  options.ca === undefined ? `account ${options.account}` : `CA ${options.ca}`;

export function registerCaRevocationCommands(ca: Command, run: (work: () => Promise<void>) => void): void {
  const withCa = (command: Command): Command =>
    withAdminCommandOptions(
      command
        .requiredOption('--account <id>', 'account that owns the CA')
        .requiredOption('--ca <mtls-certificate-id>', 'the uploaded CA (from ca list)'),
    );

  const crl = ca.command('crl').description("an uploaded CA's certificate revocation lists");
  withCa(
    crl
      .command('upload')
      .description(
        'put a CRL of the CA in force (PEM or DER, signed by the CA, not stale, not older than the one in force)',
      )
      .requiredOption('--file <crl>', 'the CRL, PEM or DER'),
  ).action((options: CaOptions & { file: string }) => {
    run(async () => {
      const body = await readCrlFile(options.file);
      const client = await connect(options);
      const view = await client.send<CrlView>('PUT', `${caRoute(options)}/crl`, { crl: body });
      printResult(
        options,
        view,
        () =>
          `CRL ${view.crl_number} of ${view.issuer} in force for CA ${options.ca}: ${count(view.revoked_count, 'revoked certificate')}, next update ${view.next_update}`,
      );
    });
  });

  withCa(crl.command('show').description('show the CRLs in force for the CA')).action((options: CaOptions) => {
    run(async () => {
      const client = await connect(options);
      const crls = await client.get<CrlView[]>(`${caRoute(options)}/crl`);
      printResult(options, crls, () => crlTable(crls, options.ca));
    });
  });

  withCa(crl.command('delete').description('stop checking the CA against its CRLs (unless fetching is on)')).action(
    (options: CaOptions) => {
      run(async () => {
        const client = await connect(options);
        const removed = await client.send<CrlView[]>('DELETE', `${caRoute(options)}/crl`);
        printResult(options, removed, () => `Removed ${count(removed.length, 'CRL')} of CA ${options.ca}`);
      });
    },
  );

  const revocation = ca.command('revocation').description("an uploaded CA's revocation settings");
  withCa(revocation.command('show').description('show the settings, CRL fetching status and CRLs')).action(
    (options: CaOptions) => {
      run(async () => {
        const client = await connect(options);
        const view = await client.get<RevocationView>(`${caRoute(options)}/revocation`);
        printResult(options, view, () => revocationDetails(view, options.ca));
      });
    },
  );

  withCa(
    revocation
      .command('set')
      .description('change the settings (only the options given)')
      .option('--on-unavailable <mode>', 'fail_closed (refuse when the status is unknown) or fail_open')
      .option('--crl-fetch <on|off>', 'fetch CRLs from --crl-url, else from the CDPs of the CA certificates')
      .option('--crl-url <url...>', 'where to fetch CRLs (http or https; replaces the list)')
      .option('--refresh-interval <duration>', 'between CRL fetches, e.g. 1h, 30m, 1d')
      .option('--crl-timeout <duration>', 'per CRL fetch, e.g. 10s')
      .option('--ocsp <on|off>', 'ask the OCSP responder named in each client certificate')
      .option('--ocsp-timeout <duration>', 'how long a request may wait for an OCSP answer, e.g. 3s')
      .option('--ocsp-nonce <on|off>', 'send a nonce (RFC 8954) and require it back')
      .option('--ocsp-max-cache <duration>', 'keep an OCSP answer at most this long, e.g. 1h')
      .option('--allow-private-addresses <on|off>', 'let CRL and OCSP URLs reach loopback and private networks'),
  ).action((options: SetOptions) => {
    run(async () => {
      const patch = settingsPatch(options);
      const client = await connect(options);
      const view = await client.send<RevocationView>('PATCH', `${caRoute(options)}/revocation`, patch);
      printResult(options, view, () => revocationDetails(view, options.ca));
    });
  });

  const block = ca.command('block').description('block client certificates by SHA-256 or serial');
  const blockCommand = (name: string, description: string): Command =>
    withAdminCommandOptions(
      block
        .command(name)
        .description(description)
        .requiredOption('--account <id>', 'account')
        .option('--ca <mtls-certificate-id>', "an uploaded CA's list (default: the account's list, every CA)"),
    );

  blockCommand('add', 'block a client certificate')
    .option('--sha256 <fingerprint>', 'SHA-256 of the certificate (64 hex, colons allowed)')
    .option('--serial <hex>', 'serial number, as openssl x509 -serial prints it')
    .option('--cert <file>', 'the certificate itself (PEM): its SHA-256 is blocked')
    .option('--description <text>', 'why')
    .action((options: BlockOptions) => {
      run(async () => {
        const given = [options.sha256, options.serial, options.cert].filter((value) => value !== undefined);
        if (given.length !== 1) throw GW_ERR_USAGE.create('give exactly one of --sha256, --serial and --cert');
        const sha256 = options.cert === undefined ? options.sha256 : await certificateSha256(options.cert);
        const client = await connect(options);
        const added = await client.send<BlockView>('POST', blocksRoute(options), {
          ...(sha256 === undefined ? { serial_number: options.serial } : { sha256 }),
          ...(options.description === undefined ? {} : { description: options.description }),
        });
        printResult(options, added, () => `Blocked ${blockedValue(added)} in ${scopeName(options)} (${added.id})`);
      });
    });

  blockCommand('list', 'list the blocked certificates').action((options: BlockOptions) => {
    run(async () => {
      const client = await connect(options);
      const blocks = await client.get<BlockView[]>(blocksRoute(options));
      printResult(options, blocks, () =>
        formatListing(
          blocks,
          [
            { header: 'ID', value: (b) => b.id },
            { header: 'BLOCKED', value: blockedValue },
            { header: 'SINCE', value: (b) => b.created_on },
            { header: 'DESCRIPTION', value: (b) => b.description },
          ],
          `${count(blocks.length, 'blocked certificate')} in ${scopeName(options)}`,
        ),
      );
    });
  });

  blockCommand('remove', 'unblock a certificate')
    .argument('<block-id>', 'id of the entry (from ca block list)')
    .action((id: string, options: BlockOptions) => {
      run(async () => {
        const client = await connect(options);
        const removed = await client.send<{ id: string }>('DELETE', `${blocksRoute(options)}/${segment(id)}`);
        printResult(options, removed, () => `Unblocked ${removed.id} in ${scopeName(options)}`);
      });
    });
}

/** A CRL file as the API takes it: PEM as is, DER as base64. A private key is never sent. */
async function readCrlFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw GW_ERR_USAGE.create(`--file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (bytes[0] === 0x30) return bytes.toString('base64');
  const text = bytes.toString('utf8');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw GW_ERR_USAGE.create(
      `--file: ${file} holds a private key, which never leaves this machine (nothing was sent)`,
    );
  }
  if (!/-----BEGIN (X509 )?CRL-----/.test(text))
    throw GW_ERR_USAGE.create(`--file: ${file} is neither a PEM nor a DER CRL`);
  return text;
}

async function certificateSha256(file: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    throw GW_ERR_USAGE.create(`--cert: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (/PRIVATE KEY-----/.test(pem))
    throw GW_ERR_USAGE.create(`--cert: ${file} holds a private key; give the certificate`);
  try {
    return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
  } catch {
    throw GW_ERR_USAGE.create(`--cert: ${file} is not a PEM certificate`);
  }
}

function settingsPatch(options: SetOptions): Record<string, unknown> {
  const crlFetch = {
    ...(options.crlFetch === undefined ? {} : { enabled: onOff(options.crlFetch, '--crl-fetch') }),
    ...(options.crlUrl === undefined ? {} : { urls: options.crlUrl }),
    ...(options.refreshInterval === undefined
      ? {}
      : { refresh_interval_seconds: Math.round(duration(options.refreshInterval, '--refresh-interval') / 1000) }),
    ...(options.crlTimeout === undefined ? {} : { timeout_ms: duration(options.crlTimeout, '--crl-timeout') }),
  };
  const ocsp = {
    ...(options.ocsp === undefined ? {} : { enabled: onOff(options.ocsp, '--ocsp') }),
    ...(options.ocspTimeout === undefined ? {} : { timeout_ms: duration(options.ocspTimeout, '--ocsp-timeout') }),
    ...(options.ocspNonce === undefined ? {} : { nonce: onOff(options.ocspNonce, '--ocsp-nonce') }),
    ...(options.ocspMaxCache === undefined
      ? {}
      : { max_cache_seconds: Math.round(duration(options.ocspMaxCache, '--ocsp-max-cache') / 1000) }),
  };
  const patch = {
    ...(options.onUnavailable === undefined ? {} : { on_unavailable: options.onUnavailable }),
    ...(Object.keys(crlFetch).length === 0 ? {} : { crl_fetch: crlFetch }),
    ...(Object.keys(ocsp).length === 0 ? {} : { ocsp }),
    ...(options.allowPrivateAddresses === undefined
      ? {}
      : { allow_private_addresses: onOff(options.allowPrivateAddresses, '--allow-private-addresses') }),
  };
  if (Object.keys(patch).length === 0) throw GW_ERR_USAGE.create('nothing to set: give at least one option');
  return patch;
}

function onOff(value: string, option: string): boolean {
  if (value === 'on' || value === 'off') return value === 'on';
  throw GW_ERR_USAGE.create(`${option} takes on or off, got "${value}"`);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `10s`, `30m`, `1h`, `1d`, or a bare number of seconds; in milliseconds. */
function duration(text: string, option: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (match === null)
    throw GW_ERR_USAGE.create(`${option} takes a duration like 500ms, 10s, 30m, 1h or 1d; got "${text}"`);
  return Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1000);
}

function blockedValue(block: BlockView): string {
  return block.sha256 === undefined ? `serial ${block.serial_number ?? ''}` : `sha256 ${block.sha256}`;
}

function crlTable(crls: readonly CrlView[], caId: string): string {
  return formatListing(
    crls,
    [
      { header: 'ISSUER', value: (c) => c.issuer },
      { header: 'NUMBER', value: (c) => c.crl_number },
      { header: 'REVOKED', value: (c) => String(c.revoked_count) },
      { header: 'NEXT UPDATE', value: (c) => `${c.next_update}${c.stale ? ' (stale)' : ''}` },
      { header: 'SOURCE', value: (c) => (c.source_url === null ? c.source : `${c.source} ${c.source_url}`) },
    ],
    `${count(crls.length, 'CRL')} in force for CA ${caId}`,
  );
}

function revocationDetails(view: RevocationView, caId: string): string {
  const fetchStatus = view.crl_fetch_status;
  const urls = view.crl_fetch.urls.length > 0 ? view.crl_fetch.urls : fetchStatus.discovered_urls;
  return [
    formatDetails([
      ['CA', caId],
      ['On unavailable', view.on_unavailable],
      [
        'CRL fetching',
        view.crl_fetch.enabled
          ? `on, every ${view.crl_fetch.refresh_interval_seconds}s from ${urls.length === 0 ? '(the CDPs of client certificates, none seen yet)' : urls.join(', ')}`
          : 'off',
      ],
      [
        'Last fetch',
        `${when(fetchStatus.last_fetch_at)}${fetchStatus.last_error === null ? '' : ` failed: ${fetchStatus.last_error}`}`,
      ],
      ['Next fetch', when(fetchStatus.next_fetch_at)],
      [
        'OCSP',
        view.ocsp.enabled
          ? `on, ${view.ocsp.timeout_ms} ms timeout, nonce ${view.ocsp.nonce ? 'on' : 'off'}, cached at most ${view.ocsp.max_cache_seconds}s`
          : 'off',
      ],
      ['Private addresses', view.allow_private_addresses ? 'allowed' : 'refused'],
    ]),
    crlTable(view.crls, caId),
  ].join('\n');
}
