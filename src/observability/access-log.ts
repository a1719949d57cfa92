/**
 * The access log of `portcullis proxy --access-log`: one JSON line per request, written apart from
 * the process log so that it can be shipped or rotated on its own.
 *
 *   {"time":"2026-01-02T03:04:05.678Z","client_cert_sha256":"ab…"|null,"method":"GET","path":"/x",
 *    "protocol":"HTTP/1.1","status":200,"latency_ms":1.234,"bytes_in":0,"bytes_out":512}
 *
 * `-` is standard output, written synchronously (one write per line, so lines never interleave with
 * the process log's). A file is appended to asynchronously through a bounded buffer (pino's
 * SonicBoom): a disk that cannot keep up loses lines (counted: `onDrop`) rather than memory or
 * request latency; `reopen()` (on SIGHUP) starts a new file after logrotate has moved the old one.
 * A write error is logged once and never thrown: the proxy keeps serving.
 */
import { openSync, closeSync } from 'node:fs';
import { pino } from 'pino';
import type { Logger } from 'pino';

/** Bytes buffered for the file before lines are dropped. */
export const ACCESS_LOG_BUFFER_BYTES = 16 * 1024 * 1024;

export interface AccessLogRecord {
  readonly time: string;
  readonly clientCertSha256: string | null;
  readonly method: string;
  readonly path: string;
  readonly protocol: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

type Destination = ReturnType<typeof pino.destination>;

export class AccessLog {
  readonly #destination: Destination;
  readonly #toFile: boolean;
  #failed = false;

  /**
   * `target`: `-` for standard output, else a file path (created with mode 0640 if missing). The
   * file is opened here, synchronously, so a path that cannot be written fails the start.
   */
  constructor(target: string, logger: Logger, onDrop: (lines: number) => void = () => undefined) {
    this.#toFile = target !== '-';
    if (this.#toFile) closeSync(openSync(target, 'a', 0o640));
    this.#destination = pino.destination(
      this.#toFile
        ? { dest: target, sync: false, append: true, mkdir: false, maxLength: ACCESS_LOG_BUFFER_BYTES }
        : { dest: 1, sync: true },
    );
    this.#destination.on('drop', () => onDrop(1));
    this.#destination.on('error', (error: Error) => {
      if (!this.#failed) logger.error({ err: error.message, target }, 'access log cannot be written');
      this.#failed = true;
      onDrop(1);
    });
  }

  write(record: AccessLogRecord): void {
    const line = JSON.stringify({
      time: record.time,
      client_cert_sha256: record.clientCertSha256,
      method: record.method,
      path: record.path,
      protocol: record.protocol,
      status: record.status,
      latency_ms: record.latencyMs,
      bytes_in: record.bytesIn,
      bytes_out: record.bytesOut,
    });
    try {
      this.#destination.write(`${line}\n`);
    } catch {
      // A destroyed or failing destination: the 'error' handler has said so once.
    }
  }

  /** After logrotate moved the file: write to a new one at the same path (no-op for stdout). */
  reopen(): void {
    if (!this.#toFile) return;
    try {
      this.#failed = false;
      this.#destination.reopen();
    } catch {
      // Reported through 'error'.
    }
  }

  /** Writes what is buffered and closes the file (stdout stays open). */
  close(): Promise<void> {
    if (!this.#toFile) return Promise.resolve();
    return new Promise((resolve) => {
      this.#destination.once('close', () => resolve());
      this.#destination.once('error', () => resolve());
      this.#destination.end();
    });
  }
}
