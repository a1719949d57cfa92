/**
 * generateKeyAndCsr: an ECDSA P-256 key (PKCS#8 PEM) and a PKCS#10 CSR (RFC 2986) signed by it, made
 * locally so the private key never leaves this machine — only the CSR goes to the CA. Subject alternative names
 * are requested in a PKCS #9 extensionRequest (RFC 2985 §5.4.2); the zone's SAN policy decides which are certified.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export async function generateKeyAndCsr(
  commonName: string,
  organization?: string,
  subjectAltNames: readonly x509.JsonGeneralName[] = [],
): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [...(organization === undefined ? [] : [{ O: [organization] }]), { CN: [commonName] }],
    keys,
    ...(subjectAltNames.length === 0
      ? {}
      : { extensions: [new x509.SubjectAlternativeNameExtension([...subjectAltNames], false)] }),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`, csrPem: `${csr.toString('pem')}\n` };
}
