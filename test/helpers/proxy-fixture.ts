/**
 * A running `portcullis proxy` (in-process, through the same config loader and composition root as
 * the CLI) with a test PKI written to a temp directory: a client CA, a server certificate for
 * localhost, and whatever client certificates a test asks for.
 */
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadProxyConfig, type ProxyOptionsInput } from '../../src/config/proxy-config.ts';
import { startProxy, type RunningProxy } from '../../src/app/proxy.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createCa, Eku, type CaHandle, type Issued } from './pki.ts';

export interface TestPki {
  dir: string;
  ca: CaHandle;
  /** The separate root that issued `server` (its PEM is server-ca.pem). */
  serverCa: CaHandle;
  server: Issued;
  /** Writes a file into the temp dir and returns its path. */
  write(name: string, content: string): Promise<string>;
  files: { caPem: string; serverCert: string; serverKey: string };
  cleanup(): Promise<void>;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-test-'));
  const ca = await createCa('CN=Client Root CA,O=Portcullis Tests');
  const serverCa = await createCa('CN=Server Root CA,O=Portcullis Tests');
  const server = await serverCa.issue({
    subject: 'CN=localhost',
    dns: ['localhost'],
    ips: ['127.0.0.1'],
    eku: [Eku.serverAuth],
  });
  const write = async (name: string, content: string): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, content, { mode: 0o600 });
    return file;
  };
  const files = {
    caPem: await write('client-ca.pem', ca.certPem),
    serverCert: await write('server.pem', server.certPem),
    serverKey: await write('server.key', server.keyPem),
  };
  await write('server-ca.pem', serverCa.certPem);
  return {
    dir,
    ca,
    serverCa,
    server: { ...server, certPem: server.certPem, keyPem: server.keyPem },
    write,
    files,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The server CA PEM clients must trust (the server cert is issued by a separate root). */
export async function serverCaPem(pki: TestPki): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(path.join(pki.dir, 'server-ca.pem'), 'utf8');
}

export async function startTestProxy(
  pki: TestPki,
  upstream: string,
  overrides: Partial<ProxyOptionsInput> = {},
): Promise<RunningProxy & { port: number }> {
  const config = await loadProxyConfig({
    listen: '127.0.0.1:0',
    cert: pki.files.serverCert,
    key: pki.files.serverKey,
    clientCa: [pki.files.caPem],
    upstream,
    forwardIdentity: 'xfcc',
    upstreamTimeout: '5s',
    connectTimeout: '2s',
    shutdownTimeout: '3s',
    ...overrides,
  });
  const running = await startProxy(config, createLogger('silent'));
  return { ...running, port: running.address.port };
}
