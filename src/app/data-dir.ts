/**
 * The files `portcullis serve` writes into its data dir besides the store and the master key: the
 * bootstrap admin token and the edge CA certificate. Each is written whole or not at all (a
 * temporary file, renamed into place), so a full disk leaves neither a truncated file nor a stray
 * temporary one, and the failure says which file and why.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GW_ERR_DATA_DIR_WRITE_FAILED } from '../errors/index.ts';
import { describeFileError } from '../store/file-error.ts';

export const ADMIN_TOKEN_FILE = 'admin-token';
export const EDGE_CA_FILE = 'edge-ca.pem';

/** Writes `content` to `dataDir/name` (mode `mode`), replacing the file; GW_ERR_DATA_DIR_WRITE_FAILED when it cannot. */
export async function writeDataDirFile(dataDir: string, name: string, content: string, mode: number): Promise<string> {
  const file = path.join(dataDir, name);
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content, { mode, flag: 'wx' });
    await chmod(temporary, mode); // whatever the umask
    await rename(temporary, file);
    return file;
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw GW_ERR_DATA_DIR_WRITE_FAILED.create(`${file}: ${describeFileError(error)}`, error);
  }
}

/** Creates the data dir (0700) if missing; GW_ERR_DATA_DIR_WRITE_FAILED when it cannot. */
export async function makeDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw GW_ERR_DATA_DIR_WRITE_FAILED.create(`${dataDir}: ${describeFileError(error)}`, error);
  }
}
