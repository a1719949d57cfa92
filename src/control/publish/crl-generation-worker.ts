/**
 * The worker side of crl-generation-off-thread.ts: generates one CRL and posts it back (or the
 * failure's message). Nothing else runs in this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { generateCrl } from '../../pki/crl-generator.ts';
import { unpackCrlOptions, type PackedCrlOptions } from './crl-generation-off-thread.ts';

try {
  parentPort?.postMessage({ crl: generateCrl(unpackCrlOptions(workerData as PackedCrlOptions)) });
} catch (error) {
  parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
}
