/**
 * `cert issue --generate --p12`: the passphrase of the PKCS #12 file, never from the command line (where `ps`
 * and the shell history would show it): from `--p12-passphrase-file` (its first line) or PORTCULLIS_P12_PASSPHRASE.
 * Read before anything is sent, as every input of the command is.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { GW_ERR_USAGE } from '../errors/index.ts';
import { buildPkcs12 } from '../pki/pkcs12.ts';
import { AdminCommandError } from './admin-command.ts';

export const P12_PASSPHRASE_VARIABLE = 'PORTCULLIS_P12_PASSPHRASE';
/** NIST SP 800-63B §5.1.1.2's floor for a memorised secret. */
const MIN_PASSPHRASE_LENGTH = 8;

export async function readP12Passphrase(file: string | undefined): Promise<string> {
  let passphrase: string | undefined;
  if (file !== undefined) {
    try {
      passphrase = (await readFile(file, 'utf8')).split(/\r?\n/)[0];
    } catch (error) {
      throw GW_ERR_USAGE.create(
        `--p12-passphrase-file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  } else {
    passphrase = process.env[P12_PASSPHRASE_VARIABLE];
  }
  if (passphrase === undefined || passphrase === '') {
    throw GW_ERR_USAGE.create(
      `--p12 needs a passphrase: --p12-passphrase-file FILE or ${P12_PASSPHRASE_VARIABLE} (never on the command line)`,
    );
  }
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw GW_ERR_USAGE.create(`the PKCS #12 passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  return passphrase;
}

/** Writes the PKCS #12 file, mode 0600 (it holds the key), never over an existing file. */
export async function writeP12(
  file: string,
  input: { certificatePem: string; privateKeyPem: string; passphrase: string; friendlyName: string },
  certificateId: string,
): Promise<void> {
  try {
    await writeFile(file, buildPkcs12(input), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    throw new AdminCommandError(
      `certificate ${certificateId} was issued but ${file} could not be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}
