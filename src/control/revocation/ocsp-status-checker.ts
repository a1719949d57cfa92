/**
 * OcspStatusChecker: the OcspStatusSource the data plane asks (runtime-config/uploaded-ca-revocation.ts),
 * wired in app/serve.ts. It asks the responders named in a client certificate's authorityInfoAccess
 * (RFC 6960, POST, pki/ocsp-client.ts) through the outbound guard (outbound-http.ts), and keeps the
 * verdicts so that a certificate is asked about once per answer's lifetime, not once per request.
 *
 *   cache     per certificate (issuer + leaf fingerprints); an answer is kept until its nextUpdate,
 *             at most the CA's max_cache_seconds, and one minute when it has no nextUpdate (the
 *             responder then has newer information at any time, §4.2.2.1); a failure (timeout,
 *             unusable answer, no responder) is kept FAILURE_CACHE_MS, so that while a responder is
 *             down each certificate waits for it once per interval, not on every request
 *   bounded   at most `maxEntries` certificates; the oldest entry goes first
 *   coalesced one question in flight per certificate: concurrent requests share its answer
 *   bounded   in time: the CA's timeout covers every responder tried, so a waiting request waits
 *             at most that long
 *
 * Per process: in a cluster each gateway asks for itself (docs/adr/0014).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { buildOcspQuery, MAX_OCSP_RESPONSE_BYTES, readOcspAnswer } from '../../pki/ocsp-client.ts';
import { revocationPointers } from '../../pki/revocation-pointers.ts';
import type { OcspQuestion, OcspStatusSource, OcspVerdict } from '../../runtime-config/uploaded-ca-revocation.ts';
import { fetchOutbound, type OutboundFetch } from './outbound-http.ts';

export const DEFAULT_OCSP_CACHE_ENTRIES = 10_000;
/** How long a failed check stands before the next request asks again. */
export const FAILURE_CACHE_MS = 30_000;
/** How long an answer without nextUpdate is used. */
const NO_NEXT_UPDATE_MS = 60_000;
/** A responder's failures are logged at most this often. */
const LOG_INTERVAL_MS = 60_000;

export type OcspCheckResult = 'good' | 'revoked' | 'unknown' | 'failed';

const GOOD: OcspVerdict = Object.freeze({ status: 'good' });
const REVOKED: OcspVerdict = Object.freeze({ status: 'revoked' });
const UNKNOWN: OcspVerdict = Object.freeze({ status: 'unavailable', reason: 'ocsp_unknown' });
const FAILED: OcspVerdict = Object.freeze({ status: 'unavailable', reason: 'ocsp_failed' });

export interface OcspStatusCheckerOptions {
  readonly logger: Logger;
  readonly fetch?: OutboundFetch;
  readonly maxEntries?: number;
  /** Each check's outcome (metrics). */
  readonly onResult?: (result: OcspCheckResult) => void;
}

interface Entry {
  readonly verdict: OcspVerdict;
  readonly untilMs: number;
}

export class OcspStatusChecker implements OcspStatusSource {
  readonly #cache = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<OcspVerdict>>();
  readonly #loggedAt = new Map<string, number>();
  readonly #options: OcspStatusCheckerOptions;
  readonly #fetch: OutboundFetch;
  readonly #maxEntries: number;

  constructor(options: OcspStatusCheckerOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetchOutbound;
    this.#maxEntries = options.maxEntries ?? DEFAULT_OCSP_CACHE_ENTRIES;
  }

  cached(key: string, nowMs: number): OcspVerdict | undefined {
    const entry = this.#cache.get(key);
    if (entry === undefined) return undefined;
    if (nowMs < entry.untilMs) return entry.verdict;
    this.#cache.delete(key);
    return undefined;
  }

  check(question: OcspQuestion): Promise<OcspVerdict> {
    const running = this.#inFlight.get(question.key);
    if (running !== undefined) return running;
    const answer = this.#ask(question).then(
      (entry) => {
        this.#remember(question.key, entry);
        return entry.verdict;
      },
      () => FAILED, // #ask does not reject; should it ever, the status is unknown
    );
    const settled = answer.finally(() => this.#inFlight.delete(question.key));
    this.#inFlight.set(question.key, settled);
    return settled;
  }

  /** Certificates with a cached verdict (for tests and metrics). */
  get size(): number {
    return this.#cache.size;
  }

  async #ask(question: OcspQuestion): Promise<Entry> {
    const { settings } = question;
    const startedAt = Date.now();
    const responders = revocationPointers(question.leaf.raw).ocspUrls;
    if (responders.length === 0) return this.#failed('(none)', 'the certificate names no OCSP responder', startedAt);
    let query;
    try {
      query = buildOcspQuery(question.leaf.raw, question.issuer.raw, settings.nonce ? randomBytes(16) : undefined);
    } catch (error) {
      return this.#failed('(none)', `cannot ask about this certificate (${(error as Error).message})`, startedAt);
    }
    const deadline = startedAt + settings.timeoutMs;
    let lastUrl = responders[0] ?? '';
    let lastError = 'no responder answered in time';
    for (const url of responders) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      lastUrl = url;
      try {
        const body = await this.#fetch({
          url,
          method: 'POST',
          body: query.der,
          headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
          timeoutMs: remaining,
          maxBytes: MAX_OCSP_RESPONSE_BYTES,
          allowPrivateAddresses: settings.allowPrivateAddresses,
        });
        const now = Date.now();
        const answer = readOcspAnswer(body, query, question.issuer.raw, new Date(now));
        this.#options.onResult?.(answer.status);
        const lifetime = (answer.nextUpdate?.getTime() ?? now + NO_NEXT_UPDATE_MS) - now;
        const verdict = answer.status === 'good' ? GOOD : answer.status === 'revoked' ? REVOKED : UNKNOWN;
        return { verdict, untilMs: now + Math.min(lifetime, settings.maxCacheMs) };
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    return this.#failed(lastUrl, lastError, startedAt, settings.maxCacheMs);
  }

  #failed(url: string, reason: string, startedAt: number, maxCacheMs = FAILURE_CACHE_MS): Entry {
    this.#options.onResult?.('failed');
    const now = Date.now();
    const last = this.#loggedAt.get(url) ?? Number.NEGATIVE_INFINITY;
    if (now - last >= LOG_INTERVAL_MS) {
      this.#loggedAt.set(url, now);
      this.#options.logger.warn(
        { responder: url, err: reason, afterMs: now - startedAt },
        'OCSP check failed: the certificate status is unknown (its CA fails closed or open as configured)',
      );
    }
    return { verdict: FAILED, untilMs: now + Math.min(FAILURE_CACHE_MS, maxCacheMs) };
  }

  #remember(key: string, entry: Entry): void {
    this.#cache.delete(key);
    if (this.#cache.size >= this.#maxEntries) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(key, entry);
    if (this.#loggedAt.size > this.#maxEntries) this.#loggedAt.clear();
  }
}
