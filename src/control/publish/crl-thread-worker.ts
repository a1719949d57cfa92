/**
 * The worker side of crl-thread.ts: holds each CA's revoked list (serial → revocation time, ms), applies the
 * whole list or the changes each request carries, and answers with the CRL it generates (or the failure's
 * message). Requests are handled one at a time, in the order sent.
 */
import { parentPort } from 'node:worker_threads';
import { generateCrl, type CrlEntry } from '../../pki/crl-generator.ts';
import type { CrlThreadAnswer, CrlThreadRequest } from './crl-thread.ts';

const lists = new Map<string, Map<string, number>>();

parentPort?.on('message', (request: CrlThreadRequest) => {
  let answer: CrlThreadAnswer;
  try {
    const list = listOf(request);
    const crl = generateCrl({
      ca: request.ca,
      crlNumber: request.crlNumber,
      entries: entriesOf(list),
      distinctSerials: true, // the keys of one map, in serialForLookup form (crl-thread.ts)
      thisUpdate: new Date(request.thisUpdateMs),
      nextUpdate: new Date(request.nextUpdateMs),
    });
    answer = { id: request.id, der: crl.der };
  } catch (error) {
    lists.delete(request.caId); // sent whole next time
    answer = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(answer, 'der' in answer && ownsBuffer(answer.der) ? [answer.der.buffer as ArrayBuffer] : []);
});

function listOf(request: CrlThreadRequest): Map<string, number> {
  let list = lists.get(request.caId);
  if (request.whole || list === undefined) {
    if (!request.whole) throw new Error('the CRL thread does not hold this CA: send its whole list');
    list = new Map();
    lists.set(request.caId, list);
  }
  const serials = request.serials === '' ? [] : request.serials.split(',');
  serials.forEach((serial, index) => {
    const at = request.revokedAtMs[index] ?? Number.NaN;
    if (Number.isNaN(at)) list.delete(serial);
    else list.set(serial, at);
  });
  return list;
}

function* entriesOf(list: ReadonlyMap<string, number>): Iterable<CrlEntry> {
  for (const [serialHex, revokedAt] of list) yield { serialHex, revokedAt };
}

/** Only a buffer of its own may be transferred (a view into Node's shared pool must be copied). */
function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}
