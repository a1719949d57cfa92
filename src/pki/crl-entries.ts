/**
 * RevokedEntries: a CRL's revokedCertificates (RFC 5280 §5.1.2.6) as encoded octets, one SEQUENCE { userCertificate
 * INTEGER, revocationDate Time } per entry, kept between CRLs. A fleet CA's next CRL appends the serials revoked
 * since the last one instead of encoding its 100,000 entries again: the encoding (a serial's hex to octets, per
 * entry) was most of a long CRL's cost (bench/revocation-scale.ts), and signing the whole list is a hash.
 *
 * RFC 5280 puts the entries in no order, so appending keeps a valid list. A removed serial or a changed date cannot
 * be patched in place: the caller encodes the whole list again then (a reactivation is rare; a revocation is not).
 */
import { writeSerialBytes } from './serial.ts';
import { derTime } from './der-writer.ts';

export interface CrlEntry {
  /** Serial of the revoked certificate, hex (any case, colons allowed). */
  readonly serialHex: string;
  /** A Date, or ms since the epoch (a fleet CA's 100,000 entries need no Date each). */
  readonly revokedAt: Date | number;
}

/** The longest entry: SEQUENCE header 2, INTEGER header 2 + 21 octets, GeneralizedTime 2 + 15. */
const MAX_ENTRY_BYTES = 2 + 2 + 21 + 2 + 15;
const INITIAL_BYTES = MAX_ENTRY_BYTES * 64;

export class RevokedEntries {
  #octets: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  #length = 0;
  #count = 0;
  /** The octets of each serial so far, when duplicates are checked (undefined: the caller vouches). */
  readonly #seen: Set<string> | undefined;

  /**
   * `distinct`: the caller vouches that no two entries, now or appended later, are the same integer (the keys of a
   * map in serialForLookup form): the check for a serial listed twice, a third of the encoding time, is skipped.
   */
  constructor(entries: Iterable<CrlEntry> = [], distinct = false) {
    this.#seen = distinct ? undefined : new Set<string>();
    this.append(entries);
  }

  /** How many entries the list holds. */
  get count(): number {
    return this.#count;
  }

  /**
   * Encodes each entry after those already held (each is shorter than 128 octets: short-form lengths). Throws on a
   * serial that is not a valid one, or listed twice (unless distinct); the entries before it stay appended.
   */
  append(entries: Iterable<CrlEntry>): void {
    for (const entry of entries) {
      const time = derTime(entry.revokedAt);
      this.#reserve(MAX_ENTRY_BYTES);
      const offset = this.#length;
      const out = this.#octets;
      const serialLength = writeSerialBytes(entry.serialHex, out, offset + 4);
      if (this.#seen !== undefined) {
        // Equal octets are equal serials, however they were written (case, leading zeros, colons).
        const key = out.toString('latin1', offset + 4, offset + 4 + serialLength);
        if (this.#seen.has(key)) throw new Error(`serial ${entry.serialHex} is listed twice`);
        this.#seen.add(key);
      }
      out[offset] = 0x30;
      out[offset + 1] = 2 + serialLength + time.length;
      out[offset + 2] = 0x02;
      out[offset + 3] = serialLength;
      out.set(time, offset + 4 + serialLength);
      this.#length += 4 + serialLength + time.length;
      this.#count += 1;
    }
  }

  /** The contents octets of the revokedCertificates SEQUENCE: a view, valid until the next append. */
  contents(): Uint8Array {
    return this.#octets.subarray(0, this.#length);
  }

  /** Room for `bytes` more: the buffer doubles, so appending n entries one at a time copies O(n) octets. */
  #reserve(bytes: number): void {
    if (this.#length + bytes <= this.#octets.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#octets.length * 2, this.#length + bytes));
    this.#octets.copy(grown, 0, 0, this.#length);
    this.#octets = grown;
  }
}
