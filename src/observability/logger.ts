/**
 * The process logger: pino JSON lines on stdout. Keys and certificate material are redacted by path
 * as a second line of defence; the first is never putting them in a log call.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(level: LevelWithSilent = 'info'): Logger {
  return pino({
    level,
    base: { service: 'portcullis' },
    redact: { paths: ['key', 'privateKey', '*.key', '*.privateKey', '*.serverKeyPem'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
