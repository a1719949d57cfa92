/**
 * What the demo prints for a person: where the files are and the two curl lines to try, with paths
 * relative to the current directory so they can be pasted as they are.
 */
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { DemoFiles } from './demo-setup.ts';

export interface DemoInstructionsInput {
  readonly files: DemoFiles;
  /** The gateway's bound address (the real port when --listen asked for port 0). */
  readonly address: AddressInfo;
  /** The admin API's base URL (`http://127.0.0.1:9000/client/v4`). */
  readonly adminUrl: string;
  /** True when the files were made by this run, false when they were reused. */
  readonly created: boolean;
  readonly cwd: string;
}

/** Hosts at which `localhost` reaches the listener without help. */
const LOCALHOST_REACHABLE = new Set(['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::']);

export function formatDemoInstructions({ files, address, adminUrl, created, cwd }: DemoInstructionsInput): string {
  const shown = (file: string): string => shellQuote(displayPath(file, cwd));
  const url = `https://localhost:${address.port}/hello`;
  // The server certificate is for localhost; any other bind address is reached through --resolve.
  const resolve = LOCALHOST_REACHABLE.has(address.address)
    ? ''
    : ` --resolve localhost:${address.port}:${address.family === 'IPv6' ? `[${address.address}]` : address.address}`;
  const base = `curl --cacert ${shown(files.edgeCaCert)}${resolve}`;
  const dir = displayPath(files.dir, cwd) + path.sep;
  return [
    '',
    `Portcullis demo: the gateway on https://localhost:${address.port} in front of a small demo upstream,`,
    `the admin API on ${adminUrl} (token in ${displayPath(path.join(files.dir, 'admin-token'), cwd)}).`,
    `The dashboard: ${new URL('/dashboard/', adminUrl).href} (sign in with that token).`,
    'Zone localhost: mTLS with the managed CA, a route to the upstream, and the mTLS rule that blocks',
    'requests without a verified, unrevoked client certificate.',
    `${created ? 'Issued a new' : 'Reusing the'} client certificate in ${dir} (edge CA: ${shown(files.edgeCaCert)})`,
    '',
    'With the demo client certificate (200: the upstream answers and shows who you are):',
    '',
    `  ${base} --cert ${shown(files.clientCert)} --key ${shown(files.clientKey)} ${url}`,
    '',
    'Without a client certificate (403 GW_ERR_RULE_BLOCKED, from the mTLS rule):',
    '',
    `  ${base} ${url}`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

/** Relative to `cwd` when the file is under it, absolute otherwise (`../../../tmp/x` helps nobody). */
function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** POSIX shell quoting, only when needed. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
