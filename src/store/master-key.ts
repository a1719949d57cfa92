/**
 * loadMasterKey: the 32-byte key SecretBox seals private keys with. From PORTCULLIS_MASTER_KEY
 * (64 hex characters or base64 of 32 bytes), else from `<dataDir>/master.key`, which is created on
 * first use (random, mode 0600, as 64 hex characters so it can be moved into the variable). Fails
 * closed: a malformed key, or a key file that group or others can read, is refused, never repaired.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

export const MASTER_KEY_ENV = 'PORTCULLIS_MASTER_KEY';
export const MASTER_KEY_FILE = 'master.key';
const KEY_BYTES = 32;

export interface MasterKeyOptions {
  dataDir: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Told when a new key file was just created (the operator must back it up). */
  onCreate?: (file: string) => void;
}

export async function loadMasterKey(options: MasterKeyOptions): Promise<Buffer> {
  const fromEnv = options.env[MASTER_KEY_ENV];
  if (fromEnv !== undefined) return parseMasterKey(fromEnv, MASTER_KEY_ENV);
  const file = path.join(options.dataDir, MASTER_KEY_FILE);
  const existing = await readKeyFile(file);
  if (existing !== undefined) return existing;
  const created = await createKeyFile(file);
  if (created.isNew) options.onCreate?.(file);
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
 * reads the winner's file. The key file is never seen half-written.
 */
async function createKeyFile(file: string): Promise<{ key: Buffer; isNew: boolean }> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(`${key.toString('hex')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, file);
    return { key, isNew: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readKeyFile(file);
    if (winner === undefined) {
      throw new Error(`Master key ${file} vanished while it was being created`, { cause: error });
    }
    return { key: winner, isNew: false };
  } finally {
    await unlink(temporary);
  }
}
