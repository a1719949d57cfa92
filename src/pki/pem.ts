/**
 * Strict PEM reading (RFC 7468 §2–3). Anything that is not a well-formed block of the expected label
 * is refused with a clear message: mismatched BEGIN/END labels, truncated or invalid base64, NUL bytes,
 * DER or PKCS#12 sent where PEM is expected. Explanatory text between blocks is allowed (RFC 7468 §5.2).
 */
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

/** Reads every PEM block in `text`. Throws an Error with a reason a person can act on. */
export function readPemBlocks(text: string): PemBlock[] {
  if (text.includes('\0')) throw new Error('contains NUL bytes (binary data where PEM was expected)');
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!input.includes('-----BEGIN '))
    throw new Error('no PEM block found (DER, PKCS#12 or JWK are not accepted; send PEM)');
  const blocks: PemBlock[] = [];
  for (const match of input.matchAll(BLOCK)) {
    const [, begin = '', body = '', end = ''] = match;
    if (begin !== end) throw new Error(`PEM block BEGIN ${begin} ends with END ${end}`);
    const lines = body.split(/\r?\n/).map((line) => line.trim());
    const headerless = lines.filter((line) => line !== '');
    if (headerless.some((line) => line.includes(':'))) throw new Error(`PEM block ${begin} has encapsulated headers`);
    const base64 = headerless.join('');
    if (!BASE64_LINE.test(base64) || base64.length % 4 !== 0 || base64.length === 0) {
      throw new Error(`PEM block ${begin} has invalid or truncated base64`);
    }
    blocks.push({ label: begin, der: Buffer.from(base64, 'base64') });
  }
  const beginCount = input.split('-----BEGIN ').length - 1;
  if (blocks.length !== beginCount) throw new Error('a PEM block is incomplete (missing END line)');
  return blocks;
}

/** Reads blocks and checks that every one has the expected label. */
export function readPemBlocksOf(text: string, label: string): Buffer[] {
  const blocks = readPemBlocks(text);
  for (const block of blocks) {
    if (block.label !== label) throw new Error(`expected ${label} blocks, found ${block.label}`);
  }
  return blocks.map((block) => block.der);
}

export function toPem(der: Uint8Array, label: string): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
