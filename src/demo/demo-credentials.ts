/**
 * The demo's certificates and keys, in `<data-dir>/demo/`: made on the first run and reused after,
 * as long as they are still good (parseable, valid for at least another day, key matching, signed by
 * the CA beside them, the server one for localhost). Anything not good is made again; a CA made again
 * takes its certificates with it, since they no longer verify.
 *
 *   ca.pem / ca.key            the client CA: the proxy trusts client certificates it signed
 *   client.pem / client.key    CN=demo-client, clientAuth, signed by ca.pem
 *   edge-ca.pem / edge-ca.key  a separate CA for the server certificate, for `curl --cacert`
 *   server.pem / server.key    DNS localhost + IP 127.0.0.1, serverAuth, signed by edge-ca.pem
 *
 * Keys are written with mode 0600, through a temporary file and a rename, so a key file is never
 * half-written nor readable by others even for a moment.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  createRootCa,
  issueCertificate,
  type CertificateAuthority,
  type IssueCertificateOptions,
} from '../pki/certificate-issuer.ts';

const CA_VALIDITY_DAYS = 3650; // 10 years
const LEAF_VALIDITY_DAYS = 365;
/** Credentials that expire sooner than this are made again. */
const MIN_REMAINING_MS = 86_400_000; // 1 day

export const DEMO_CLIENT_SUBJECT = 'CN=demo-client,O=Portcullis Demo';

export interface DemoFiles {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly edgeCaCert: string;
  readonly edgeCaKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

export interface DemoCredentials {
  readonly files: DemoFiles;
  /** Base names of the files written by this call; empty when everything was reused. */
  readonly written: readonly string[];
}

export function demoFiles(dir: string): DemoFiles {
  const file = (name: string): string => path.join(dir, name);
  return {
    dir,
    caCert: file('ca.pem'),
    caKey: file('ca.key'),
    edgeCaCert: file('edge-ca.pem'),
    edgeCaKey: file('edge-ca.key'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}

/** Makes (or reuses) the demo credentials in `dir`, creating it (mode 0700) if needed. */
export async function ensureDemoCredentials(dir: string): Promise<DemoCredentials> {
  const files = demoFiles(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  const caPair = { certFile: files.caCert, keyFile: files.caKey };
  const edgeCaPair = { certFile: files.edgeCaCert, keyFile: files.edgeCaKey };
  const clientCa = await ensureCa(caPair, 'CN=Portcullis Demo Client CA,O=Portcullis Demo', written);
  const edgeCa = await ensureCa(edgeCaPair, 'CN=Portcullis Demo Edge CA,O=Portcullis Demo', written);
  await ensureLeaf(
    { certFile: files.serverCert, keyFile: files.serverKey },
    {
      ca: edgeCa,
      subject: 'CN=localhost,O=Portcullis Demo',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
      validityDays: LEAF_VALIDITY_DAYS,
    },
    written,
  );
  await ensureLeaf(
    { certFile: files.clientCert, keyFile: files.clientKey },
    { ca: clientCa, subject: DEMO_CLIENT_SUBJECT, usage: 'client', validityDays: LEAF_VALIDITY_DAYS },
    written,
  );
  return { files, written };
}

interface PairFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

async function ensureCa(pair: PairFiles, name: string, written: string[]): Promise<CertificateAuthority> {
  const existing = await readPair(pair);
  if (existing !== undefined && isGoodCa(existing)) return existing;
  const ca = await createRootCa({ name, validityDays: CA_VALIDITY_DAYS });
  await writePair(pair, ca, written);
  return ca;
}

async function ensureLeaf(pair: PairFiles, options: IssueCertificateOptions, written: string[]): Promise<void> {
  const existing = await readPair(pair);
  if (existing !== undefined && isGoodLeaf(existing, options)) return;
  await writePair(pair, await issueCertificate(options), written);
}

async function readPair(pair: PairFiles): Promise<CertificateAuthority | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([readFile(pair.certFile, 'utf8'), readFile(pair.keyFile, 'utf8')]);
    return { certPem, keyPem };
  } catch {
    return undefined; // missing or unreadable: made again
  }
}

/** Parses the pair; undefined when it is unusable (unparseable, key mismatch, expiring soon). */
function usableCertificate({ certPem, keyPem }: CertificateAuthority): X509Certificate | undefined {
  try {
    const cert = new X509Certificate(certPem);
    const key = createPrivateKey(keyPem);
    const now = Date.now();
    const current = Date.parse(cert.validFrom) <= now && Date.parse(cert.validTo) > now + MIN_REMAINING_MS;
    const isP256 = key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    return current && isP256 && cert.checkPrivateKey(key) ? cert : undefined;
  } catch {
    return undefined;
  }
}

function isGoodCa(pair: CertificateAuthority): boolean {
  const cert = usableCertificate(pair);
  return cert !== undefined && cert.ca && cert.verify(cert.publicKey);
}

function isGoodLeaf(pair: CertificateAuthority, options: IssueCertificateOptions): boolean {
  const cert = usableCertificate(pair);
  if (cert === undefined || cert.ca) return false;
  if (!cert.verify(new X509Certificate(options.ca.certPem).publicKey)) return false;
  const namesCovered =
    (options.dnsNames ?? []).every((name) => cert.checkHost(name) !== undefined) &&
    (options.ipAddresses ?? []).every((ip) => cert.checkIP(ip) !== undefined);
  return namesCovered;
}

async function writePair(pair: PairFiles, issued: CertificateAuthority, written: string[]): Promise<void> {
  await writeAtomically(pair.keyFile, issued.keyPem, 0o600);
  await writeAtomically(pair.certFile, issued.certPem, 0o644);
  written.push(path.basename(pair.keyFile), path.basename(pair.certFile));
}

async function writeAtomically(file: string, content: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  try {
    await writeFile(temporary, content, { mode, flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
