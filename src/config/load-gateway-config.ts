/**
 * loadGatewayConfig: reads the `serve --config` file and every certificate file it names, and holds
 * each certificate to the checks an upload through the admin API gets (pki/mtls-upload.ts: CA bundles
 * for `cas`, a serverAuth leaf with its matching key for `edge_certificates`, a clientAuth leaf for an
 * API's `allowed_certificates: [{ file }]`, which becomes that leaf's SHA-256). Nothing is written: the
 * result is a model the control plane can plan and apply, or a refusal (exit 3) that says which file,
 * key and line. Paths in the file are relative to the file's own directory.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { GW_ERR_CONFIG_FILE_UNREADABLE, GatewayError } from '../errors/index.ts';
import { validateMtlsUpload, type MtlsUploadInput, type ValidatedMtlsUpload } from '../pki/mtls-upload.ts';
import {
  readGatewayConfig,
  type AllowedCertificateFields,
  type DeclaredAccount,
  type DeclaredAllowedCertificate,
  type DeclaredApi,
  type DeclaredCa,
  type DeclaredEdgeCertificate,
  type DeclaredZone,
  type FileReference,
} from './gateway-config-schema.ts';
import { configInvalid, excerpt } from './yaml-cursor.ts';
import { loadEstSecrets, type LoadedEst } from './load-est-secrets.ts';
import { loadBlocks, loadCaRevocation, type LoadedBlock, type LoadedCaRevocation } from './load-revocation-files.ts';

/** Larger than any sensible configuration or PEM file; stops `/dev/zero` or a log file given by mistake. */
const MAX_FILE_BYTES = 1024 * 1024;

export interface LoadedCa extends Omit<DeclaredCa, 'revocation'> {
  /** The bundle, normalised (pki/mtls-upload.ts). */
  readonly certificatesPem: string;
  /** Lowercase hex SHA-256 of the first certificate: how an uploaded CA is recognised. */
  readonly fingerprintSha256: string;
  readonly revocation: LoadedCaRevocation | undefined;
}

export interface LoadedEdgeCertificate extends DeclaredEdgeCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** Lowercase hex SHA-256 of the leaf. */
  readonly fingerprintSha256: string;
  /** DNS names of the leaf's subjectAltName, lowercase. */
  readonly hosts: readonly string[];
}

/** An allowlist entry in the API's wire form; a `file:` entry became `{ sha256 }` of its leaf. */
export interface LoadedAllowedCertificate {
  readonly where: string;
  readonly input: AllowedCertificateFields;
}

export type LoadedApi = Omit<DeclaredApi, 'allowedCertificates'> & {
  readonly allowedCertificates: readonly LoadedAllowedCertificate[];
};

export type LoadedZone = Omit<DeclaredZone, 'edgeCertificates' | 'apis' | 'est'> & {
  readonly edgeCertificates: readonly LoadedEdgeCertificate[];
  readonly apis: readonly LoadedApi[];
  readonly est: LoadedEst | undefined;
};

export type LoadedAccount = Omit<DeclaredAccount, 'cas' | 'zones' | 'blockedCertificates'> & {
  readonly cas: readonly LoadedCa[];
  readonly zones: readonly LoadedZone[];
  readonly blockedCertificates: { readonly value: readonly LoadedBlock[]; readonly where: string } | undefined;
};

export interface GatewayConfig {
  readonly file: string;
  readonly accounts: readonly LoadedAccount[];
}

/**
 * Reads and checks the file. Throws GW_ERR_CONFIG_FILE_UNREADABLE when the file itself cannot be read,
 * GW_ERR_CONFIG_INVALID for anything wrong in it or in the files it names.
 */
export async function loadGatewayConfig(
  file: string,
  now = new Date(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readSmallFile(file);
  } catch (error) {
    throw GW_ERR_CONFIG_FILE_UNREADABLE.create(`${file} (${reasonOf(error)})`);
  }
  const declared = readGatewayConfig(text, file);
  const directory = path.dirname(file);
  const accounts: LoadedAccount[] = [];
  for (const account of declared.accounts) {
    const cas: LoadedCa[] = [];
    for (const ca of account.cas) cas.push(await loadCa(ca, directory, now));
    const zones: LoadedZone[] = [];
    for (const zone of account.zones) {
      const edgeCertificates: LoadedEdgeCertificate[] = [];
      for (const edge of zone.edgeCertificates) edgeCertificates.push(await loadEdgeCertificate(edge, directory, now));
      const apis: LoadedApi[] = [];
      for (const api of zone.apis) apis.push(await loadApi(api, directory, now));
      zones.push({ ...zone, edgeCertificates, apis, est: await loadEstSecrets(zone.est, directory, env) });
    }
    const blocked = account.blockedCertificates;
    accounts.push({
      ...account,
      cas,
      zones,
      blockedCertificates:
        blocked === undefined ? undefined : { value: await loadBlocks(blocked.value, directory), where: blocked.where },
    });
  }
  return { file, accounts };
}

async function loadCa(ca: DeclaredCa, directory: string, now: Date): Promise<LoadedCa> {
  const pem = await readReferenced(ca.file, directory);
  const validated = validate(
    { ca: true, certificatesPem: pem, compatibility: ca.compatibility.value, now },
    () => ca.file,
  );
  return {
    ...ca,
    certificatesPem: validated.normalisedPem,
    fingerprintSha256: validated.description.fingerprintSha256,
    revocation: ca.revocation === undefined ? undefined : await loadCaRevocation(ca.revocation, directory),
  };
}

async function loadEdgeCertificate(
  edge: DeclaredEdgeCertificate,
  directory: string,
  now: Date,
): Promise<LoadedEdgeCertificate> {
  const certificatePem = await readReferenced(edge.cert, directory);
  const privateKeyPem = await readReferenced(edge.key, directory);
  const validated = validate(
    { ca: false, certificatesPem: certificatePem, privateKeyPem, leafUsage: 'serverAuth', now },
    // The reason names private_key when the key is at fault: point at the `key:` line then.
    (reason) => (reason.includes('private_key') ? edge.key : edge.cert),
  );
  const leaf = validated.certificates[0];
  const hosts = (leaf?.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  return {
    ...edge,
    certificatePem,
    privateKeyPem,
    fingerprintSha256: validated.description.fingerprintSha256,
    hosts,
  };
}

async function loadApi(api: DeclaredApi, directory: string, now: Date): Promise<LoadedApi> {
  const allowedCertificates: LoadedAllowedCertificate[] = [];
  for (const entry of api.allowedCertificates) allowedCertificates.push(await loadAllowed(entry, directory, now));
  return { ...api, allowedCertificates };
}

/** A `file:` entry: a client certificate (the leaf first, its chain optional) → `{ sha256 }` of the leaf. */
async function loadAllowed(
  entry: DeclaredAllowedCertificate,
  directory: string,
  now: Date,
): Promise<LoadedAllowedCertificate> {
  if (!('file' in entry)) return entry;
  const pem = await readReferenced(entry.file, directory);
  // Said here in the file's terms; validateMtlsUpload would talk about uploads with `ca: true`.
  if (isCaCertificate(pem)) {
    throw configInvalid(
      entry.where,
      `${excerpt(entry.file.value)}: a CA certificate; an allowlist names leaf certificates (a CA would admit every certificate it signs: trust it for the hostname in mtls instead)`,
    );
  }
  const validated = validate({ ca: false, certificatesPem: pem, leafUsage: 'clientAuth', now }, () => entry.file);
  return { where: entry.where, input: { sha256: validated.description.fingerprintSha256 } };
}

function isCaCertificate(pem: string): boolean {
  try {
    return new X509Certificate(pem).ca;
  } catch {
    return false; // not a certificate at all: validateMtlsUpload says what is wrong with it
  }
}

/** validateMtlsUpload's reasons never quote the input (nor the key), so they are safe to repeat. */
function validate(input: MtlsUploadInput, blame: (reason: string) => FileReference): ValidatedMtlsUpload {
  try {
    return validateMtlsUpload(input);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    const at = blame(error.message);
    throw configInvalid(at.where, `${excerpt(at.value)}: ${error.message}`);
  }
}

async function readReferenced(reference: FileReference, directory: string): Promise<string> {
  try {
    return await readSmallFile(path.resolve(directory, reference.value));
  } catch (error) {
    throw configInvalid(reference.where, `cannot read ${excerpt(reference.value)} (${reasonOf(error)})`);
  }
}

async function readSmallFile(file: string): Promise<string> {
  const info = await stat(file);
  if (!info.isFile()) throw new Error('not a regular file');
  if (info.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES / 1024} KiB`);
  return readFile(file, 'utf8');
}

function reasonOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}
