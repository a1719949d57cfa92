/**
 * generateCrlOffThread: the managed CA's CRL (pki/crl-generator.ts), generated and signed in a worker
 * thread once it is long. Encoding through @peculiar/asn1-schema cost about a second per few thousand
 * entries (16.6 s for 100,000 revoked certificates), which is why this thread exists; the revoked list is
 * now written by hand (pki/der-writer.ts) and costs milliseconds, but a long list still stays off the
 * event loop the data plane shares.
 * Short lists (under OFF_THREAD_ENTRIES) are generated in place: a thread costs more than that to
 * start. The options cross to the thread as they are (strings, Dates, bigints: structured clone).
 */
import { generateCrl, type GenerateCrlOptions, type GeneratedCrl } from '../../pki/crl-generator.ts';
import { runInWorker, workerModule } from '../worker-thread.ts';

export const OFF_THREAD_ENTRIES = 2000;

const WORKER = workerModule('crl-generation-worker', import.meta.url);

export async function generateCrlOffThread(options: GenerateCrlOptions): Promise<GeneratedCrl> {
  if (options.entries.length < OFF_THREAD_ENTRIES) return generateCrl(options);
  const answer = await runInWorker<{ crl: GeneratedCrl } | { error: string }>(
    WORKER,
    packCrlOptions(options),
    'CRL generation',
  );
  if ('error' in answer) throw new Error(answer.error);
  return answer.crl;
}

/**
 * The options as the worker receives them: the entries as one string of serials and one array of times.
 * Structured clone copies those in one piece each; 100,000 entry objects took it tens of milliseconds on the
 * event loop the data plane shares.
 */
export interface PackedCrlOptions extends Omit<GenerateCrlOptions, 'entries'> {
  readonly serials: string;
  readonly revokedAtMs: Float64Array;
}

export function packCrlOptions(options: GenerateCrlOptions): PackedCrlOptions {
  const { entries, ...rest } = options;
  const revokedAtMs = new Float64Array(entries.length);
  entries.forEach((entry, index) => (revokedAtMs[index] = entry.revokedAt.getTime()));
  return { ...rest, serials: entries.map((entry) => entry.serialHex).join(','), revokedAtMs };
}

export function unpackCrlOptions(packed: PackedCrlOptions): GenerateCrlOptions {
  const { serials, revokedAtMs, ...rest } = packed;
  const hexes = serials === '' ? [] : serials.split(',');
  return {
    ...rest,
    entries: hexes.map((serialHex, index) => ({ serialHex, revokedAt: new Date(revokedAtMs[index] ?? 0) })),
  };
}
