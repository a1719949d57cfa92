/**
 * The credential of an access request, checked before anything is stored (docs/adr/0017):
 *
 *   browser_key, csr  a PKCS #10 request, checked as for any client certificate (pki/csr.ts: ECDSA
 *                     P-256/P-384 or RSA 2048–4096, a self-signature that verifies, ≤ 16 KiB)
 *   certificate       exactly one PEM certificate (≤ 16 KiB): an end entity (a CA certificate is
 *                     refused), a strong key and signature, within its validity period, not
 *                     self-signed (the gateway verifies every client certificate against a CA the
 *                     hostname trusts; a self-signed leaf can never pass). Bound by exact
 *                     certificate (leaf) or by public key (spki), as dynamic mTLS keys are.
 *
 * Whether the certificate's CA is trusted on the product's hostnames needs the store: the access
 * service checks that.
 */
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { GW_ERR_API_VALIDATION, GW_ERR_PORTAL_CREDENTIAL_REFUSED } from '../../errors/index.ts';
import { readCsr } from '../../pki/csr.ts';
import { readPemBlocks, toPem } from '../../pki/pem.ts';
import { assertCurrentlyValid, assertStrongCertificate, isSelfSigned } from '../../pki/certificate-checks.ts';
import { CREDENTIAL_KINDS, type CredentialKind } from '../../model/portal-records.ts';

export const MAX_CREDENTIAL_PEM_LENGTH = 16 * 1024;

export interface CredentialInput {
  kind?: string;
  csr?: string;
  certificate?: string;
  bind_to?: string;
}

export interface CheckedCredential {
  kind: CredentialKind;
  csrPem: string | null;
  certificatePem: string | null;
  bindTo: 'leaf' | 'spki';
  /** The pasted certificate, parsed (certificate kind only). */
  certificate: X509Certificate | null;
}

export function checkCredential(value: unknown, now: number): CheckedCredential {
  if (typeof value !== 'object' || value === null) throw GW_ERR_API_VALIDATION.create('credential is required');
  const input = value as CredentialInput;
  const kind = input.kind;
  if (typeof kind !== 'string' || !(CREDENTIAL_KINDS as readonly string[]).includes(kind)) {
    throw GW_ERR_API_VALIDATION.create(`credential.kind must be one of ${CREDENTIAL_KINDS.join(', ')}`);
  }
  const bindTo = input.bind_to ?? 'leaf';
  if (bindTo !== 'leaf' && bindTo !== 'spki') throw GW_ERR_API_VALIDATION.create('bind_to must be leaf or spki');
  if (kind === 'certificate') {
    const certificate = readLeaf(input.certificate, now);
    return {
      kind,
      csrPem: null,
      certificatePem: toPem(certificate.raw, 'CERTIFICATE'),
      bindTo,
      certificate,
    };
  }
  if (typeof input.csr !== 'string') throw GW_ERR_API_VALIDATION.create('credential.csr is required');
  // readCsr gives a 400 GW_ERR_CSR_INVALID with the reason (bad signature, weak key, size...).
  const csr = readCsr(input.csr);
  // A certificate the managed CA issues is bound by exact certificate: a new one means a new binding.
  return { kind: kind as CredentialKind, csrPem: csr.pem, certificatePem: null, bindTo: 'leaf', certificate: null };
}

function refuse(reason: string): never {
  throw GW_ERR_PORTAL_CREDENTIAL_REFUSED.create(reason);
}

function readLeaf(pem: unknown, now: number): X509Certificate {
  if (typeof pem !== 'string' || pem.trim() === '')
    throw GW_ERR_API_VALIDATION.create('credential.certificate is required');
  if (pem.length > MAX_CREDENTIAL_PEM_LENGTH) refuse(`it is larger than ${MAX_CREDENTIAL_PEM_LENGTH / 1024} KiB`);
  let blocks;
  try {
    blocks = readPemBlocks(pem);
  } catch (error) {
    refuse((error as Error).message);
  }
  if (blocks.some((block) => block.label.includes('PRIVATE KEY'))) {
    refuse('a private key was pasted: paste only the certificate, and keep the key to yourself');
  }
  if (blocks.length !== 1 || blocks[0]?.label !== 'CERTIFICATE') {
    refuse('paste exactly one certificate (your client certificate, without its chain)');
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(blocks[0].der);
  } catch {
    refuse('it is not a readable X.509 certificate');
  }
  const parsed = new x509.X509Certificate(certificate.raw);
  if (parsed.getExtension(x509.BasicConstraintsExtension)?.ca === true) {
    refuse('it is a CA certificate: paste the client (end-entity) certificate your CA issued to you');
  }
  try {
    assertStrongCertificate(certificate, 'the certificate');
    assertCurrentlyValid(certificate, 'the certificate', now);
  } catch (error) {
    refuse((error as Error).message);
  }
  if (isSelfSigned(certificate)) {
    refuse(
      'it is self-signed: the gateway only accepts certificates from a CA it trusts; use one from such a CA, or let the portal issue one',
    );
  }
  return certificate;
}
