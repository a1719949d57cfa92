/**
 * What the fuzzers check after every case, besides "a normal mTLS request still gets 200":
 *
 *  - CrashWatch: nothing reached the process as an uncaught exception or an unhandled rejection.
 *    The gateway runs in this process, where node:test turns those into a failure of whichever
 *    test runs at the time; the watch ties them to the case that caused them, so fast-check can
 *    report (and shrink) it.
 *  - CapturedLog: the gateway logged nothing at error level (the FaultGuard logs every fault it
 *    contains there: one is a bug found, even if the client saw a clean answer).
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export class CrashWatch {
  readonly #seen: unknown[] = [];
  readonly #record = (error: unknown): void => {
    this.#seen.push(error);
  };

  start(): void {
    process.on('uncaughtException', this.#record);
    process.on('unhandledRejection', this.#record);
  }

  stop(): void {
    process.off('uncaughtException', this.#record);
    process.off('unhandledRejection', this.#record);
  }

  /** Throws if anything escaped since the last call. */
  assertNothingEscaped(): void {
    const escaped = this.#seen.splice(0);
    if (escaped.length > 0) {
      const first = escaped[0];
      throw new Error(
        `the process would have crashed: ${escaped.length} uncaught exception(s) or rejection(s), first: ${
          first instanceof Error ? (first.stack ?? first.message) : String(first)
        }`,
      );
    }
  }
}

/** A pino logger at `warn` whose lines at error level and above are kept for the fuzzer to read. */
export class CapturedLog {
  readonly logger: Logger;
  readonly #errors: Record<string, unknown>[] = [];

  constructor() {
    const errors = this.#errors;
    this.logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          const line = JSON.parse(chunk.toString()) as Record<string, unknown>;
          if (typeof line.level === 'number' && line.level >= 50) errors.push(line);
          done();
        },
      }),
    );
  }

  /** Throws if the gateway logged an error since the last call. */
  assertNoErrors(): void {
    const errors = this.#errors.splice(0);
    if (errors.length > 0)
      throw new Error(`the gateway logged ${errors.length} error(s), first: ${JSON.stringify(errors[0])}`);
  }
}
