/**
 * CertificateFieldsCache: parsed fields of recently seen client leaves, keyed by SHA-256 of the
 * leaf DER. Parsing a certificate with the ASN.1 library costs ~0.3–0.5 ms; devices and services
 * reconnect with the same certificate many times, so each new connection of a known client skips
 * it. Bounded: the oldest entry is evicted first (Map keeps insertion order; a hit re-inserts).
 */
import type { CertificateFields } from '../../pki/certificate-fields.ts';

export class CertificateFieldsCache {
  readonly #entries = new Map<string, CertificateFields>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  get(fingerprint256: string, parse: () => CertificateFields): CertificateFields {
    const cached = this.#entries.get(fingerprint256);
    if (cached !== undefined) {
      this.#entries.delete(fingerprint256);
      this.#entries.set(fingerprint256, cached);
      return cached;
    }
    const fields = parse();
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(fingerprint256, fields);
    return fields;
  }

  get size(): number {
    return this.#entries.size;
  }
}
