/**
 * The files the revocation parts of the config file name (docs/adr/0014): a CA's CRL (PEM or DER,
 * read as bytes, at most MAX_CRL_BYTES) and block-list `file:` entries (a PEM certificate, which
 * becomes its SHA-256: a blocked certificate may well be expired, so only its form is checked).
 * Whether the CRL belongs to the CA and is current is the plan's business (it knows the CRL in force).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../errors/index.ts';
import { MAX_CRL_BYTES, readCrlBytes } from '../pki/crl-input.ts';
import { readPemBlocksOf } from '../pki/pem.ts';
import type { DeclaredBlock, DeclaredCaRevocation, FileReference } from './gateway-config-model.ts';
import { configInvalid, excerpt } from './yaml-cursor.ts';

/** A block-list entry in the admin API's wire form. */
export interface LoadedBlock {
  readonly where: string;
  readonly input: { sha256?: string; serial_number?: string; description?: string };
}

export interface LoadedCaRevocation extends Omit<DeclaredCaRevocation, 'crl' | 'blocked'> {
  /** The CRL's DER, and where the file was named. */
  readonly crl: { readonly where: string; readonly der: Buffer } | undefined;
  readonly blocked: readonly LoadedBlock[];
}

export async function loadCaRevocation(declared: DeclaredCaRevocation, directory: string): Promise<LoadedCaRevocation> {
  let crl: LoadedCaRevocation['crl'];
  if (declared.crl !== undefined) {
    const bytes = await readBytes(declared.crl, directory, MAX_CRL_BYTES);
    try {
      crl = { where: declared.crl.where, der: readCrlBytes(bytes) };
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      throw configInvalid(declared.crl.where, `${excerpt(declared.crl.value)}: ${error.message}`);
    }
  }
  return { ...declared, crl, blocked: await loadBlocks(declared.blocked, directory) };
}

export async function loadBlocks(blocks: readonly DeclaredBlock[], directory: string): Promise<LoadedBlock[]> {
  const loaded: LoadedBlock[] = [];
  for (const block of blocks) {
    const description = block.description === undefined ? {} : { description: block.description };
    if ('sha256' in block) loaded.push({ where: block.where, input: { sha256: block.sha256, ...description } });
    else if ('serial' in block)
      loaded.push({ where: block.where, input: { serial_number: block.serial, ...description } });
    else
      loaded.push({
        where: block.where,
        input: { sha256: await certificateSha256(block.file, directory), ...description },
      });
  }
  return loaded;
}

async function certificateSha256(reference: FileReference, directory: string): Promise<string> {
  const text = (await readBytes(reference, directory, 1024 * 1024)).toString('utf8');
  try {
    const [der] = readPemBlocksOf(text, 'CERTIFICATE');
    if (der === undefined) throw new Error('no certificate');
    return createHash('sha256').update(new X509Certificate(der).raw).digest('hex');
  } catch {
    throw configInvalid(
      reference.where,
      `${excerpt(reference.value)}: not a PEM certificate (CERTIFICATE blocks only)`,
    );
  }
}

async function readBytes(reference: FileReference, directory: string, limit: number): Promise<Buffer> {
  const file = path.resolve(directory, reference.value);
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > limit) throw new Error(`larger than ${Math.round(limit / 1024)} KiB`);
    return await readFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw configInvalid(reference.where, `cannot read ${excerpt(reference.value)} (${reason})`);
  }
}
