/**
 * A minimal incremental HTTP/1.1 response reader for the load generator: status, end of message
 * (Content-Length, chunked, or until close) and keep-alive. Hand-written because a full parser
 * (autocannon's http-parser-js) costs the load generator more CPU per request than the
 * proxies under test spend, and the load generator must not be the bottleneck.
 */

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;

export class ResponseReader {
  /** Status code of the response being read (0 before its head arrived). */
  status = 0;
  /** False when the server said it closes the connection after this response. */
  keepAlive = true;
  /** True when the body runs until the server closes the connection. */
  untilClose = false;

  #pending: Buffer | undefined;
  #inHead = true;
  #bodyLeft = 0;
  #chunked = false;
  /** In chunked mode: bytes left in the current chunk, -1 = expecting a size line, -2 = expecting CRLF after data. */
  #chunkLeft = -1;
  #inTrailer = false;

  reset(): void {
    this.status = 0;
    this.keepAlive = true;
    this.untilClose = false;
    this.#pending = undefined;
    this.#inHead = true;
    this.#bodyLeft = 0;
    this.#chunked = false;
    this.#chunkLeft = -1;
    this.#inTrailer = false;
  }

  /** Feeds bytes; returns true once the whole response has been read. Throws on a malformed head. */
  push(chunk: Buffer): boolean {
    let data = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = undefined;
    if (this.#inHead) {
      const end = data.indexOf(HEAD_END);
      if (end < 0) {
        if (data.length > MAX_HEAD_BYTES) throw new Error('response head too large');
        this.#pending = data;
        return false;
      }
      this.#parseHead(data.toString('latin1', 0, end));
      this.#inHead = false;
      data = data.subarray(end + 4);
      if (!this.#chunked && !this.untilClose && this.#bodyLeft === 0) return true;
    }
    if (this.untilClose) return false;
    if (!this.#chunked) {
      this.#bodyLeft -= data.length;
      return this.#bodyLeft <= 0;
    }
    return this.#pushChunked(data);
  }

  #parseHead(head: string): void {
    if (!head.startsWith('HTTP/1.')) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(head.slice(0, 40))}`);
    this.status = Number(head.slice(9, 12));
    const lower = head.toLowerCase();
    const http10 = lower.startsWith('http/1.0');
    this.keepAlive = http10 ? lower.includes('\r\nconnection: keep-alive') : !lower.includes('\r\nconnection: close');
    if (this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) {
      this.#bodyLeft = 0;
      return;
    }
    if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
      this.#chunked = true;
      return;
    }
    const match = /\r\ncontent-length:\s*(\d+)/.exec(lower);
    if (match) {
      this.#bodyLeft = Number(match[1]);
      return;
    }
    this.untilClose = true;
    this.keepAlive = false;
  }

  #pushChunked(data: Buffer): boolean {
    let i = 0;
    while (i < data.length) {
      if (this.#chunkLeft > 0) {
        const take = Math.min(this.#chunkLeft, data.length - i);
        this.#chunkLeft -= take;
        i += take;
        if (this.#chunkLeft === 0) this.#chunkLeft = -2;
        continue;
      }
      const newline = data.indexOf(10, i);
      if (newline < 0) {
        this.#pending = data.subarray(i);
        if (this.#pending.length > MAX_HEAD_BYTES) throw new Error('chunk line too long');
        return false;
      }
      const line = data.toString('latin1', i, newline).trim();
      i = newline + 1;
      if (this.#chunkLeft === -2) {
        this.#chunkLeft = -1;
      } else if (this.#inTrailer) {
        if (line === '') return true;
      } else {
        const size = parseInt(line.split(';')[0] ?? '', 16);
        if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
        if (size === 0) this.#inTrailer = true;
        else this.#chunkLeft = size;
      }
    }
    return false;
  }
}
