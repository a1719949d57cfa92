/**
 * ParsedCertificates: the X509Certificate of each PEM a snapshot compile needs, kept from one compile to the next,
 * so that a configuration change parses only the certificates it brought. Every compile parsed every client CA,
 * edge certificate and uploaded bundle again, once per hostname that uses it: 1,000 hostnames trusting one CA made
 * 1,000 parses of it per change, on the main thread the data plane shares.
 *
 * Two generations: what a compile used is kept for the next one, what it did not use is dropped when it ends, so
 * the cache holds no more than the configuration in force. X509Certificate objects are immutable: snapshots share
 * them safely.
 */
import { X509Certificate } from 'node:crypto';

export class ParsedCertificates {
  #current = new Map<string, X509Certificate>();
  #previous = new Map<string, X509Certificate>();

  /** The certificate of `pem` (one PEM block, or DER-equal input node:crypto accepts), parsed at most once. */
  parse(pem: string): X509Certificate {
    let parsed = this.#current.get(pem);
    if (parsed !== undefined) return parsed;
    parsed = this.#previous.get(pem) ?? new X509Certificate(pem);
    this.#current.set(pem, parsed);
    return parsed;
  }

  /** A compile ended: what it did not ask for is forgotten. */
  compiled(): void {
    this.#previous = this.#current;
    this.#current = new Map();
  }
}
