/**
 * readCrlDer: the DER of one CRL, from what an operator uploads or a distribution point serves:
 * PEM (`X509 CRL`, RFC 7468 §6, or the plain `CRL` label some tools write), base64 of the DER (what
 * a JSON body can carry), or the DER bytes themselves (RFC 5280 §4.2.1.13: a CDP serves DER).
 * Exactly one CRL: a second PEM block, another label, or bytes after the DER are refused.
 */
import { GW_ERR_CRL_INVALID } from '../errors/index.ts';
import { isSingleDerSequence } from './der-length.ts';
import { readPemBlocks } from './pem.ts';

/**
 * Larger CRLs are refused: parsing one blocks the event loop the data plane shares, for about a
 * second per few MiB (docs/adr/0014).
 */
export const MAX_CRL_BYTES = 8 * 1024 * 1024;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** From text: PEM, or base64 of the DER (whitespace ignored). */
export function readCrlText(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed === '') throw GW_ERR_CRL_INVALID.create('empty');
  if (trimmed.includes('-----BEGIN')) return fromPem(trimmed);
  const base64 = trimmed.replace(/\s+/g, '');
  if (!BASE64.test(base64) || base64.length % 4 !== 0) {
    throw GW_ERR_CRL_INVALID.create('neither PEM (-----BEGIN X509 CRL-----) nor base64 of a DER CRL');
  }
  return checkedDer(Buffer.from(base64, 'base64'));
}

/** From bytes as a server sent them or a file holds them: DER, else PEM text. */
export function readCrlBytes(bytes: Buffer): Buffer {
  if (bytes[0] === 0x30) return checkedDer(bytes);
  if (bytes.includes(0)) throw GW_ERR_CRL_INVALID.create('neither DER nor PEM');
  return readCrlText(bytes.toString('latin1'));
}

function fromPem(text: string): Buffer {
  let blocks;
  try {
    blocks = readPemBlocks(text);
  } catch (error) {
    throw GW_ERR_CRL_INVALID.create((error as Error).message);
  }
  const [block, ...rest] = blocks;
  if (block === undefined || rest.length > 0) throw GW_ERR_CRL_INVALID.create('give exactly one CRL');
  if (block.label !== 'X509 CRL' && block.label !== 'CRL') {
    throw GW_ERR_CRL_INVALID.create(`expected an X509 CRL PEM block, found ${block.label}`);
  }
  return checkedDer(block.der);
}

function checkedDer(der: Buffer): Buffer {
  if (der.byteLength > MAX_CRL_BYTES) {
    throw GW_ERR_CRL_INVALID.create(`larger than ${MAX_CRL_BYTES / (1024 * 1024)} MiB`);
  }
  if (!isSingleDerSequence(der)) throw GW_ERR_CRL_INVALID.create('not exactly one DER structure');
  return der;
}
