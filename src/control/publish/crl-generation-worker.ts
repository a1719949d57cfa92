/**
 * The worker side of crl-generation-off-thread.ts: generates one CRL and posts it back (or the
 * failure's message). Nothing else runs in this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { generateCrl, type GenerateCrlOptions } from '../../pki/crl-generator.ts';

try {
  parentPort?.postMessage({ crl: generateCrl(workerData as GenerateCrlOptions) });
} catch (error) {
  parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
}
