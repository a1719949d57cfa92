/**
 * judgeClientChain: the gateway's own verdict on a client chain OpenSSL accepted at the handshake. It rebuilds
 * the verified path among what the client sent and the listener's CAs (pki/certification-path.ts), and holds it
 * to the client-chain policy (pki/client-chain-policy.ts) under the compatibility of the path's trust anchor. When
 * several paths exist, the first that meets the policy wins (as a path builder that backtracks would find it);
 * when none does, the preferred path and its violation are the verdict.
 *
 * ChainVerdictCache keeps verdicts by (trust set, leaf, sent certificates): a device that reconnects with the same
 * certificate costs a lookup, no parse and no signature check. Entries hold fingerprints, not certificate
 * objects, so 10,000 clients cost little memory; the path is picked back out of the connection's own
 * certificates and the trusted CAs.
 */
import type { X509Certificate } from 'node:crypto';
import { certificationPaths, validAt } from '../../pki/certification-path.ts';
import { checkClientChain, type ChainCompatibility, type ChainViolation } from '../../pki/client-chain-policy.ts';

/**
 * The CAs a listener (or one hostname of it: a HostPolicy is one) trusts for client certificates, and their
 * compatibility.
 */
export interface ClientTrust {
  readonly trustedCas: readonly X509Certificate[];
  /** Node-format fingerprints (`AB:CD:…`) of the CAs of `trustedCas` uploaded or configured with `legacy`. */
  readonly legacyCaFingerprints: ReadonlySet<string>;
  /** Names this trust set in cache keys: it changes whenever the CAs or their compatibility do. */
  readonly trustId: string;
}

export interface ChainVerdict {
  /** `[leaf, ...intermediates, anchor]` as verified; undefined when no path could be built. */
  readonly path: readonly X509Certificate[] | undefined;
  readonly violation: ChainViolation | undefined;
  /** The compatibility the path was judged under (its anchor's). */
  readonly compatibility: ChainCompatibility | undefined;
}

export function judgeClientChain(
  leaf: X509Certificate,
  sent: readonly X509Certificate[],
  trust: ClientTrust,
  nowMs: number,
): ChainVerdict {
  const paths = certificationPaths({ leaf, sent, trusted: trust.trustedCas, nowMs });
  let first: ChainVerdict | undefined;
  for (const path of paths) {
    const anchor = path.at(-1);
    if (anchor === undefined) continue;
    const compatibility: ChainCompatibility = trust.legacyCaFingerprints.has(anchor.fingerprint256)
      ? 'legacy'
      : 'strict';
    const violation = checkClientChain({
      leaf: leaf.raw,
      intermediates: path.slice(1, -1).map((certificate) => certificate.raw),
      anchor: anchor.raw,
      compatibility,
    });
    const verdict = { path, violation, compatibility };
    if (violation === undefined) return verdict;
    first ??= verdict;
  }
  return (
    first ?? {
      path: undefined,
      violation: {
        rule: 'no-certification-path',
        detail: 'no path from the leaf to a trusted root CA could be rebuilt',
      },
      compatibility: undefined,
    }
  );
}

interface CachedVerdict {
  /** Fingerprints of the path, leaf first. */
  readonly path: readonly string[] | undefined;
  readonly violation: ChainViolation | undefined;
  readonly compatibility: ChainCompatibility | undefined;
}

/** Verdicts of recently seen chains; bounded, the least recently used entry evicted first. */
export class ChainVerdictCache {
  readonly #entries = new Map<string, CachedVerdict>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  /** The verdict for this chain under `trust`, judged once and then looked up. */
  verdict(leaf: X509Certificate, sent: readonly X509Certificate[], trust: ClientTrust, nowMs: number): ChainVerdict {
    const key = [trust.trustId, leaf.fingerprint256, ...sent.map((certificate) => certificate.fingerprint256)].join(
      '|',
    );
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      const path = cached.path === undefined ? undefined : pathOf(cached.path, leaf, sent, trust.trustedCas);
      // Judged again: a path whose certificates are not all at hand (impossible for an equal key), and one a
      // certificate of which has expired since (another path may be preferred now).
      if (cached.path === undefined || (path !== undefined && path.every((cert) => validAt(cert, nowMs)))) {
        this.#entries.delete(key);
        this.#entries.set(key, cached);
        return { path, violation: cached.violation, compatibility: cached.compatibility };
      }
    }
    const verdict = judgeClientChain(leaf, sent, trust, nowMs);
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, {
      path: verdict.path?.map((certificate) => certificate.fingerprint256),
      violation: verdict.violation,
      compatibility: verdict.compatibility,
    });
    return verdict;
  }

  get size(): number {
    return this.#entries.size;
  }
}

function pathOf(
  fingerprints: readonly string[],
  leaf: X509Certificate,
  sent: readonly X509Certificate[],
  cas: readonly X509Certificate[],
): X509Certificate[] | undefined {
  const path: X509Certificate[] = [];
  for (const fingerprint of fingerprints) {
    const found = [leaf, ...cas, ...sent].find((certificate) => certificate.fingerprint256 === fingerprint);
    if (found === undefined) return undefined;
    path.push(found);
  }
  return path;
}
