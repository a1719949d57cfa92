/**
 * The bench's certificates, made at run time with the test PKI helper (ECDSA P-256) and written
 * to the work dir: one CA, a server certificate for localhost/127.0.0.1 shared by every target,
 * and one client certificate presented by the load generator and the probe. The multi-host
 * gateway target also gets one server certificate per extra hostname (writeHostCertificates).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { createCa, Eku, randomSerial, type CaHandle } from '../test/helpers/pki.ts';

export interface BenchPki {
  caPem: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** Serial of the client certificate (uppercase hex, no leading zeros): never in a revocation list. */
  clientSerialHex: string;
  /** The CA itself, to issue more certificates (never serialized). */
  ca: CaHandle;
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
    clientSerialHex: client.serialHex,
    ca,
  };
}

/** Server certificates of the extra hostnames of a multi-host target, as the gateway child reads them. */
export interface HostCertificates {
  /** One PKCS#8 key shared by every certificate below. */
  keyPem: string;
  hosts: { hostname: string; certPem: string }[];
}

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/**
 * Issues one server certificate per hostname (own serial, own SAN, CN = hostname) by the bench CA,
 * all for ONE shared P-256 key: generating a key per host would only slow the set-up, and the
 * gateway loads each certificate + key into its own TLS context either way. Written as JSON.
 */
export async function writeHostCertificates(pki: BenchPki, file: string, hostnames: readonly string[]): Promise<void> {
  const keys = await webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify']);
  const fixed = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(pki.ca.cert),
  ];
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + 30 * DAY_MS);
  const hosts: HostCertificates['hosts'] = [];
  for (const hostname of hostnames) {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=${hostname}`,
      issuer: pki.ca.cert.subjectName,
      notBefore,
      notAfter,
      signingAlgorithm: EC_ALG,
      publicKey: keys.publicKey,
      signingKey: pki.ca.keys.privateKey,
      extensions: [...fixed, new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: hostname }])],
    });
    hosts.push({ hostname, certPem: cert.toString('pem') + '\n' });
  }
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const content: HostCertificates = { keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n', hosts };
  writeFileSync(file, JSON.stringify(content), { mode: 0o600 });
}
