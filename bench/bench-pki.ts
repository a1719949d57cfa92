/**
 * The bench's certificates, made at run time with the test PKI helper (ECDSA P-256) and written
 * to the work dir: one CA, a server certificate for localhost/127.0.0.1 shared by every target,
 * and one client certificate presented by the load generator and the probe.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, Eku } from '../test/helpers/pki.ts';

export interface BenchPki {
  caPem: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertPem: string;
  clientKeyPem: string;
}

export async function writeBenchPki(dir: string): Promise<BenchPki> {
  const ca = await createCa('CN=Portcullis Bench CA,O=Portcullis Bench');
  const server = await ca.issue({
    subject: 'CN=localhost',
    dns: ['localhost'],
    ips: ['127.0.0.1'],
    eku: [Eku.serverAuth],
  });
  const client = await ca.issue({ subject: 'CN=bench-client,O=Portcullis Bench', eku: [Eku.clientAuth] });
  const file = (name: string, content: string, mode = 0o644): string => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode });
    return path;
  };
  file('client.pem', client.certPem);
  file('client.key', client.keyPem, 0o600);
  return {
    caPem: ca.certPem,
    caFile: file('ca.pem', ca.certPem),
    serverCertFile: file('server.pem', server.certPem),
    serverKeyFile: file('server.key', server.keyPem, 0o600),
    clientCertPem: client.certPem,
    clientKeyPem: client.keyPem,
  };
}
