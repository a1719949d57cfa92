/**
 * The worker side of crl-thread.ts: holds each CA's revoked list (serial → revocation time, ms) and its encoding
 * (pki/crl-entries.ts), applies the whole list or the changes each request carries, and answers with the CRL it
 * generates (or the failure's message). Requests are handled one at a time, in the order sent.
 *
 * Changes that only add serials are appended to the encoding kept from the CA's last CRL: a revocation costs the
 * next CRL its new entries and one signature, not the encoding of the CA's whole list (bench/revocation-scale.ts).
 * A removed serial, or one whose date changed, makes the whole list encoded again.
 */
import { parentPort } from 'node:worker_threads';
import { generateCrl } from '../../pki/crl-generator.ts';
import { RevokedEntries, type CrlEntry } from '../../pki/crl-entries.ts';
import { loadCaSigner, type CaKeyPair, type CaSigner } from '../../pki/ca-signer.ts';
import type { CrlThreadAnswer, CrlThreadRequest } from './crl-thread.ts';

interface HeldList {
  readonly serials: Map<string, number>;
  entries: RevokedEntries;
}

const lists = new Map<string, HeldList>();
/** Each CA's key, opened and checked once (the CA's PEMs are sent with every request: a change opens it again). */
const signers = new Map<string, { readonly ca: CaKeyPair; readonly signer: CaSigner }>();

parentPort?.on('message', (request: CrlThreadRequest) => {
  let answer: CrlThreadAnswer;
  try {
    const held = apply(request);
    const crl = generateCrl({
      ca: request.ca,
      signer: signerOf(request.caId, request.ca),
      crlNumber: request.crlNumber,
      entries: held.entries,
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

function signerOf(caId: string, ca: CaKeyPair): CaSigner {
  const kept = signers.get(caId);
  if (kept !== undefined && kept.ca.certPem === ca.certPem && kept.ca.keyPem === ca.keyPem) return kept.signer;
  const signer = loadCaSigner(ca, ['cRLSign']);
  signers.set(caId, { ca, signer });
  return signer;
}

/** The CA's list with the request applied, and its encoding brought up to date. */
function apply(request: CrlThreadRequest): HeldList {
  const changes = request.serials === '' ? [] : request.serials.split(',');
  let held = lists.get(request.caId);
  if (request.whole || held === undefined) {
    if (!request.whole) throw new Error('the CRL thread does not hold this CA: send its whole list');
    const serials = new Map<string, number>();
    changes.forEach((serial, index) => serials.set(serial, request.revokedAtMs[index] ?? Number.NaN));
    // distinct: the keys of one map, in serialForLookup form (crl-thread.ts).
    held = { serials, entries: new RevokedEntries(entriesOf(serials), true) };
    lists.set(request.caId, held);
    return held;
  }
  const added: CrlEntry[] = [];
  let rewrite = false;
  for (const [index, serial] of changes.entries()) {
    const at = request.revokedAtMs[index] ?? Number.NaN;
    const before = held.serials.get(serial);
    if (Number.isNaN(at)) {
      if (held.serials.delete(serial)) rewrite = true;
      continue;
    }
    if (before === at) continue;
    if (before !== undefined) rewrite = true; // re-dated: its entry is already encoded
    held.serials.set(serial, at);
    added.push({ serialHex: serial, revokedAt: at });
  }
  if (rewrite) held.entries = new RevokedEntries(entriesOf(held.serials), true);
  else held.entries.append(added);
  return held;
}

function* entriesOf(list: ReadonlyMap<string, number>): Iterable<CrlEntry> {
  for (const [serialHex, revokedAt] of list) yield { serialHex, revokedAt };
}

/** Only a buffer of its own may be transferred (a view into Node's shared pool must be copied). */
function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}
