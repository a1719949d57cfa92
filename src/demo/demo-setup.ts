/**
 * configureDemo: makes the demo gateway's configuration through the admin API, as a user would,
 * and idempotently (a second `npm start` on the same data dir finds everything in place):
 *
 *   account "demo" → zone "localhost"
 *     hostname association: localhost trusts the account's managed CA (mTLS on)
 *     route: localhost/ → the demo upstream (its port changes per run: the route is updated)
 *     custom rule: the API Shield mTLS rule for localhost (block unless verified and not revoked)
 *     client certificate: issued by the managed CA from a CSR made here; reused while active
 */
import { X509Certificate } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AdminClient } from '../admin-client/admin-client.ts';
import { generateKeyAndCsr } from '../pki/key-and-csr.ts';

export const DEMO_ACCOUNT = 'demo';
export const DEMO_HOSTNAME = 'localhost';
export const DEMO_CLIENT_CN = 'demo-client';
const CLIENT_VALIDITY_DAYS = 365;
/** A client certificate expiring sooner than this is replaced. */
const MIN_REMAINING_MS = 86_400_000;

export interface DemoFiles {
  readonly dir: string;
  /** The gateway's edge CA (serve writes it): `curl --cacert`. */
  readonly edgeCaCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

export function demoFiles(dir: string): DemoFiles {
  return {
    dir,
    edgeCaCert: path.join(dir, 'edge-ca.pem'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
  };
}

interface Named {
  id: string;
  name: string;
}

interface RouteView {
  id: string;
  hostname: string;
  path_prefix: string;
  upstream: string;
}

interface ClientCertificateView {
  id: string;
  status: string;
  fingerprint_sha256: string;
}

/** Returns whether a new client certificate was issued. */
export async function configureDemo(api: AdminClient, upstreamUrl: string, files: DemoFiles): Promise<boolean> {
  const accounts = await api.listAll<Named>('/accounts');
  const account =
    accounts.find((candidate) => candidate.name === DEMO_ACCOUNT) ??
    (await api.send<Named>('POST', '/accounts', { name: DEMO_ACCOUNT }));
  const zones = await api.listAll<Named>('/zones', { name: DEMO_HOSTNAME });
  const zone =
    zones[0] ?? (await api.send<Named>('POST', '/zones', { name: DEMO_HOSTNAME, account: { id: account.id } }));
  const zonePath = `/zones/${zone.id}`;

  await api.send('PUT', `${zonePath}/certificate_authorities/hostname_associations`, { hostnames: [DEMO_HOSTNAME] });
  const routes = await api.get<RouteView[]>(`${zonePath}/gateway/routes`);
  const route = { hostname: DEMO_HOSTNAME, path_prefix: '/', upstream: upstreamUrl, description: 'demo upstream' };
  const existing = routes.find((candidate) => candidate.hostname === DEMO_HOSTNAME && candidate.path_prefix === '/');
  if (existing === undefined) await api.send('POST', `${zonePath}/gateway/routes`, route);
  else if (existing.upstream !== upstreamUrl) await api.send('PUT', `${zonePath}/gateway/routes/${existing.id}`, route);
  await api.send('POST', `${zonePath}/gateway/mtls_rule`, { hostnames: [DEMO_HOSTNAME] });

  if (await clientCertificateStillGood(api, zonePath, files)) return false;
  const { keyPem, csrPem } = await generateKeyAndCsr(DEMO_CLIENT_CN, 'Portcullis Demo');
  const issued = await api.send<{ certificate: string }>('POST', `${zonePath}/client_certificates`, {
    csr: csrPem,
    validity_days: CLIENT_VALIDITY_DAYS,
  });
  await writePrivately(files.clientKey, keyPem);
  await writePrivately(
    files.clientCert,
    issued.certificate.endsWith('\n') ? issued.certificate : `${issued.certificate}\n`,
  );
  return true;
}

/** The client certificate on disk is active in the zone, not about to expire, and its key is beside it. */
async function clientCertificateStillGood(api: AdminClient, zonePath: string, files: DemoFiles): Promise<boolean> {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(await readFile(files.clientCert));
    await readFile(files.clientKey);
  } catch {
    return false;
  }
  if (Date.parse(certificate.validTo) - Date.now() < MIN_REMAINING_MS) return false;
  const fingerprint = certificate.fingerprint256.replaceAll(':', '').toLowerCase();
  const active = await api.listAll<ClientCertificateView>(`${zonePath}/client_certificates`, { status: 'active' });
  return active.some((issued) => issued.fingerprint_sha256.toLowerCase() === fingerprint);
}

/** Mode 0600, through a temporary file and a rename: never half-written, never readable by others. */
async function writePrivately(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await rename(temporary, file);
}
