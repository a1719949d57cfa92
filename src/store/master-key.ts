/**
 * The 32-byte master key SecretBox seals private keys with. From PORTCULLIS_MASTER_KEY (64 hex
 * characters or base64 of 32 bytes), else from `<dataDir>/master.key`, which is created on first
 * use (random, mode 0600, as 64 hex characters so it can be moved into the variable). Fails closed:
 * a malformed key, or a key file that group or others can read, is refused, never repaired.
 *
 * findMasterKey only reads; createMasterKeyFile writes. `serve` calls the second only once the
 * store says it holds no secret sealed with another key (control/cluster-master-key.ts).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { describeFileError } from './file-error.ts';

export const MASTER_KEY_ENV = 'PORTCULLIS_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';
const KEY_BYTES = 32;

export interface MasterKeyOptions {
  dataDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Told when a new key file was just created (the operator must back it up). */
  onCreate?: (file: string) => void;
}

export interface FoundMasterKey {
  readonly key: Buffer;
  /** Where it came from, for messages: `PORTCULLIS_MASTER_KEY` or the file's path. */
  readonly source: string;
}

/** The key from the variable or an existing file; undefined when neither exists. Writes nothing. */
export async function findMasterKey(options: Omit<MasterKeyOptions, 'onCreate'>): Promise<FoundMasterKey | undefined> {
  const fromEnv = options.env[MASTER_KEY_ENV];
  if (fromEnv !== undefined) return { key: parseMasterKey(fromEnv, MASTER_KEY_ENV), source: MASTER_KEY_ENV };
  const file = masterKeyFile(options.dataDir);
  const existing = await readKeyFile(file);
  return existing === undefined ? undefined : { key: existing, source: file };
}

export function masterKeyFile(dataDir: string): string {
  return path.join(dataDir, MASTER_KEY_FILE);
}

/** findMasterKey, or a new key file when there is none. */
export async function loadMasterKey(options: MasterKeyOptions): Promise<Buffer> {
  const found = await findMasterKey(options);
  if (found !== undefined) return found.key;
  const created = await createMasterKeyFile(options.dataDir);
  if (created.isNew) options.onCreate?.(created.file);
  return created.key;
}

/** 64 hex characters, or base64 (standard or url-safe) of exactly 32 bytes; surrounding space ignored. */
export function parseMasterKey(text: string, source: string): Buffer {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
  }
  throw new Error(
    `${source} is not a valid master key: expected 64 hex characters or the base64 of 32 bytes ` +
      `(e.g. the output of: openssl rand -hex 32)`,
  );
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!info.isFile()) throw new Error(`Master key ${file} is not a regular file`);
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, '0');
    throw new Error(`Master key ${file} is readable by group or others (mode ${mode}); run: chmod 600 ${file}`);
  }
  return parseMasterKey(await readFile(file, 'utf8'), `Master key file ${file}`);
}

/**
 * Writes a new key to a temporary file, flushes it, then hard-links it into place. link() fails if
 * the name exists, so two processes starting together cannot overwrite each other's key: the loser
 * reads the winner's file (`isNew` false). The key file is never seen half-written, and the
 * temporary file never outlives the call, even when the disk is full.
 */
export async function createMasterKeyFile(dataDir: string): Promise<{ key: Buffer; file: string; isNew: boolean }> {
  const file = masterKeyFile(dataDir);
  const key = randomBytes(KEY_BYTES);
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(`${key.toString('hex')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, file);
    return { key, file, isNew: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new Error(`${file}: ${describeFileError(error)}`, { cause: error });
    }
    const winner = await readKeyFile(file);
    if (winner === undefined) {
      throw new Error(`Master key ${file} vanished while it was being created`, { cause: error });
    }
    return { key: winner, file, isNew: false };
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}
