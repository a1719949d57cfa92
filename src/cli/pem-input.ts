/**
 * readPemInput: a PEM file the CLI is about to send to the admin API, checked here first. A private
 * key given where a certificate or a CSR belongs (`--csr phone.key`) is refused before anything is
 * sent: the key must never leave this machine, and the API cannot tell the user which file was wrong.
 */
import { GW_ERR_USAGE } from '../errors/index.ts';
import { readInputFile } from './admin-command.ts';

export type ExpectedPem = 'CERTIFICATE' | 'CERTIFICATE REQUEST';

/** RFC 7468 §2 encapsulation boundaries: `-----BEGIN <label>-----`. */
const BEGIN = /-----BEGIN ([A-Z0-9 ]+)-----/g;

const DESCRIPTION: Record<ExpectedPem, string> = {
  CERTIFICATE: 'a PEM certificate (-----BEGIN CERTIFICATE-----)',
  'CERTIFICATE REQUEST': 'a PEM CSR (-----BEGIN CERTIFICATE REQUEST-----)',
};

export async function readPemInput(file: string, option: string, expected: ExpectedPem): Promise<string> {
  const text = await readInputFile(file, option);
  const labels = [...text.matchAll(BEGIN)].map((match) => match[1] ?? '');
  if (labels.some((label) => label.endsWith('PRIVATE KEY'))) {
    throw GW_ERR_USAGE.create(
      `${option}: ${file} holds a private key, which never leaves this machine; give ${DESCRIPTION[expected]} (nothing was sent)`,
    );
  }
  // A CSR some tools label the older way (RFC 7468 §7).
  const accepted = expected === 'CERTIFICATE REQUEST' ? ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'] : [expected];
  if (!labels.some((label) => accepted.includes(label))) {
    throw GW_ERR_USAGE.create(`${option}: ${file} is not ${DESCRIPTION[expected]}`);
  }
  return text;
}
