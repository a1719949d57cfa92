/**
 * PublicPkiPublisher: keeps the gateway's public CRL and OCSP responder of every managed CA current.
 * A new CRL (with the next CRL number, RFC 5280 §5.2.3) is generated at start and after every status
 * change of a client certificate, and published to the runtime PublicPki the data plane reads.
 * OCSP answers are signed per request from an in-memory view of the CA's revocations.
 *
 * `publish` resolves once the CA's revocation set is current (the data plane refuses a revoked certificate from
 * then on). A short CRL (under OFF_THREAD_ENTRIES entries: milliseconds) is published before it resolves too; a
 * long one follows in the CRL thread (crl-thread.ts), at most one per CA per LONG_CRL_INTERVAL_MS, and a failure
 * is reported and tried again (docs/adr/0021-crl-after-the-answer.md).
 *
 * Every configuration change asks for all CAs to be published (the change feed cannot tell a revocation made
 * by another node from a route edit). A CA whose revocation version did not move and whose CRL is younger than
 * CRL_REISSUE_AFTER_MS keeps the CRL it has: re-signing 100,000 entries for a route edit is what stalled the
 * gateway (bench/revocation-scale.ts), and it would spend a CRL number for nothing.
 *
 * Under `serve --workers N` one process of the node makes the CRLs (docs/adr/0021-crl-after-the-answer.md): the
 * primary's publisher generates them and tells `onCrlPublished`; a worker's (`makesCrls: false`) keeps its
 * revocation sets and answers OCSP as any, but serves the CRLs the primary made, handed to `adoptCrl`.
 */
import { generateCrl, type CrlEntry } from '../../pki/crl-generator.ts';
import { buildOcspResponse, type OcspCertificateStatus } from '../../pki/ocsp-responder.ts';
import { serialForLookup } from '../../pki/serial.ts';
import type { PublicPki } from '../../runtime-config/public-pki.ts';
import type { Store } from '../../store/ports.ts';
import type { ManagedCaRecord } from '../../model/records.ts';
import type { ManagedCaService } from '../certificates/managed-ca-service.ts';
import type { CertificateAuthority } from '../../pki/certificate-issuer.ts';
import { RevokedSerialsCache } from './revoked-serials-cache.ts';
import { CrlThread } from './crl-thread.ts';
import { retryDelayMs } from './retry-backoff.ts';

/** A CRL is reissued at least this often even without changes, so relying parties never see a stale one. */
export const CRL_VALIDITY_MS = 7 * 86_400_000; // 7 days
/** OCSP answers may be cached this long by relying parties (RFC 6960 §4.2.2.1 nextUpdate). */
const OCSP_NEXT_UPDATE_MS = 3_600_000; // 1 hour
/** An unchanged CRL older than this is reissued when asked (the daily refresh always finds it so). */
const CRL_REISSUE_AFTER_MS = 12 * 3_600_000;
/**
 * From this many entries a CRL is generated in the CRL thread, after the answer; below, in place, before it (a
 * thread's round trip costs more than that: 2,000 entries take a few milliseconds).
 */
export const OFF_THREAD_ENTRIES = 2000;
/**
 * A long CRL of one CA is generated at most this often: revocations in a burst fold into the next one. Each costs
 * the CRL thread a few hundred ms of CPU for 100,000 entries; one per revocation kept a core of a 2-core machine
 * busy during a burst, and the data plane felt it (bench/revocation-scale.ts).
 */
export const LONG_CRL_INTERVAL_MS = 1000;
/** A CRL that failed in the background is tried again after 1 s, 2 s, 4 s… up to a minute, this many times. */
const CRL_RETRIES = 10;
const CRL_RETRY_BASE_MS = 1000;
const CRL_RETRY_MAX_MS = 60_000;

export interface PublicPkiPublisherOptions {
  readonly now?: () => Date;
  /** A CRL generated after the answer failed (it is tried again: `willRetry`). */
  readonly onCrlFailure?: (failure: { caId: string; error: unknown; willRetry: boolean }) => void;
  /** Default true; false: this process serves CRLs made by another one (`adoptCrl`) and makes none. */
  readonly makesCrls?: boolean;
  /** Told of every CRL this process published, once it is served here (the primary shares it with its workers). */
  readonly onCrlPublished?: (caId: string, crlDer: Buffer) => void;
}

export class PublicPkiPublisher {
  readonly #store: Store;
  readonly #managedCas: ManagedCaService;
  readonly #pki: PublicPki;
  readonly #now: () => Date;
  readonly #onCrlFailure: PublicPkiPublisherOptions['onCrlFailure'];
  readonly #makesCrls: boolean;
  readonly #onCrlPublished: PublicPkiPublisherOptions['onCrlPublished'];
  /** The CAs published so far (a worker that makes no CRLs looks up what a CRL it is handed belongs to). */
  readonly #cas = new Map<string, ManagedCaRecord>();
  /**
   * What this process last published per CA: its revocation version and when. A CA seen for the first time
   * (just created) is published at once.
   */
  readonly #published = new Map<string, { version: number; caPem: string; atMs: number }>();
  readonly #thread = new CrlThread();
  readonly #revoked = new RevokedSerialsCache((caId, serial, at) => this.#thread.noteChange(caId, serial, at));
  /** The CRL generation in progress per CA; `again` when a publish came meanwhile (one more run then). */
  readonly #crlRuns = new Map<string, { ca: ManagedCaRecord; again: boolean; done: Promise<void> }>();
  /** When the last long CRL of each CA was started (ms since the epoch, this process's clock). */
  readonly #lastLongCrlAt = new Map<string, number>();
  /** Background CRL failures in a row per CA (for the retry delay). */
  readonly #failures = new Map<string, number>();

  /** The revoked serials this publisher keeps current: the snapshot compiler shares them (one listing, not two). */
  get revokedSerials(): RevokedSerialsCache {
    return this.#revoked;
  }

  constructor(store: Store, managedCas: ManagedCaService, pki: PublicPki, options: PublicPkiPublisherOptions = {}) {
    this.#store = store;
    this.#managedCas = managedCas;
    this.#pki = pki;
    this.#now = options.now ?? (() => new Date());
    this.#onCrlFailure = options.onCrlFailure;
    this.#makesCrls = options.makesCrls ?? true;
    this.#onCrlPublished = options.onCrlPublished;
  }

  async publishAll(): Promise<void> {
    for (const ca of await this.#store.listManagedCas()) await this.publish(ca);
  }

  /**
   * Revocations of one CA this process committed itself, at the CA's revocation `version` (RevokedSerialsCache's
   * `applyOwn`): in force here once this resolves, without reading them back. `publish` the CA after it.
   */
  async applyOwnRevocations(caId: string, version: number, serials: readonly string[], revokedAtMs: number) {
    await this.#revoked.applyOwn(caId, version, serials, revokedAtMs);
  }

  /** Publishes a CA's CRL and OCSP view unless this process already did (no new CRL number used). */
  async ensurePublished(ca: ManagedCaRecord): Promise<void> {
    if (!this.#published.has(ca.id)) await this.publish(ca);
  }

  /**
   * Brings the CA's revocation set up to date, then its CRL and OCSP view unless they are current (see above): a
   * short CRL before this resolves, a long one after (it rejects only for what comes before).
   */
  async publish(ca: ManagedCaRecord): Promise<void> {
    const { revokedAtMs } = await this.#revoked.read(this.#store, ca.id);
    this.#cas.set(ca.id, ca);
    if (!this.#makesCrls) return; // its CRL comes from the process that makes them (adoptCrl)
    if (revokedAtMs.size < OFF_THREAD_ENTRIES) return this.#publishCrl(ca);
    // The CA's key must open now: a wrong master key is the caller's error, not a background one.
    this.#managedCas.authorityOf(ca);
    this.#inBackground(ca);
  }

  /**
   * Serves `crlDer`, a CRL of the CA made by another process of this node, with this process's OCSP responder for
   * the CA; a CA unknown to the store is ignored. The revocation set is brought up to date first, so OCSP answers
   * are never older than the CRL served beside them.
   */
  async adoptCrl(caId: string, crlDer: Buffer): Promise<void> {
    const ca = this.#cas.get(caId) ?? (await this.#managedCas.get(caId));
    if (ca === undefined) return;
    this.#cas.set(ca.id, ca);
    const { revokedAtMs } = await this.#revoked.read(this.#store, ca.id);
    this.#serve(ca, this.#managedCas.authorityOf(ca), crlDer, revokedAtMs);
  }

  /** Resolves once no CRL is being generated (the background ones included). */
  async settled(): Promise<void> {
    while (this.#crlRuns.size > 0) await Promise.allSettled([...this.#crlRuns.values()].map((run) => run.done));
  }

  #inBackground(ca: ManagedCaRecord): void {
    this.#publishCrl(ca).then(
      () => this.#failures.delete(ca.id),
      (error: unknown) => {
        const failures = (this.#failures.get(ca.id) ?? 0) + 1;
        const willRetry = failures <= CRL_RETRIES;
        this.#failures.set(ca.id, willRetry ? failures : 0);
        this.#onCrlFailure?.({ caId: ca.id, error, willRetry });
        if (!willRetry) return; // the next change or the daily refresh tries again
        setTimeout(() => this.#inBackground(ca), retryDelayMs(failures, CRL_RETRY_BASE_MS, CRL_RETRY_MAX_MS)).unref();
      },
    );
  }

  /**
   * One CRL generation per CA at a time, in order: a CRL with a higher number never reflects an older state. A
   * publish that comes during one runs once more after it (publishes meanwhile are folded into that run).
   */
  #publishCrl(ca: ManagedCaRecord): Promise<void> {
    const running = this.#crlRuns.get(ca.id);
    if (running !== undefined) {
      running.ca = ca;
      running.again = true;
      return running.done;
    }
    const run = { ca, again: true, done: Promise.resolve() };
    run.done = (async () => {
      try {
        while (run.again) {
          await this.#paced(ca.id);
          run.again = false;
          await this.#generateCrl(run.ca);
        }
      } finally {
        // In the same synchronous step as the last check: a publish after it starts a new run.
        this.#crlRuns.delete(ca.id);
      }
    })();
    this.#crlRuns.set(ca.id, run);
    return run.done;
  }

  /** Waits until LONG_CRL_INTERVAL_MS have passed since the CA's last long CRL (publishes meanwhile fold in). */
  async #paced(caId: string): Promise<void> {
    const last = this.#lastLongCrlAt.get(caId);
    const wait = last === undefined ? 0 : last + LONG_CRL_INTERVAL_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  async #generateCrl(ca: ManagedCaRecord): Promise<void> {
    const { version, revokedAtMs } = await this.#revoked.read(this.#store, ca.id);
    const thisUpdate = this.#now();
    const last = this.#published.get(ca.id);
    const current = last?.version === version && last.caPem === ca.certificatePem;
    if (current && thisUpdate.getTime() - last.atMs < CRL_REISSUE_AFTER_MS) return;
    const authority = this.#managedCas.authorityOf(ca);
    const job = {
      caId: ca.id,
      ca: authority,
      crlNumber: await this.#store.takeCrlNumber(ca.id),
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + CRL_VALIDITY_MS),
    };
    // pending_revocation already counts as revoked (the store lists both): revocation takes effect at once
    // (docs/architecture.md, "Data model"). The map is the cache's, kept current in place: OCSP answers from it
    // are never older than the CRL, and may be a moment newer (RFC 6960 allows an answer fresher than a CRL).
    let crlDer: Uint8Array;
    if (revokedAtMs.size < OFF_THREAD_ENTRIES) {
      this.#thread.forget(ca.id);
      crlDer = generateCrl({ ...job, entries: entriesOf(revokedAtMs), distinctSerials: true }).der;
    } else {
      this.#lastLongCrlAt.set(ca.id, Date.now());
      crlDer = await this.#thread.generate(job, revokedAtMs);
    }
    const der = Buffer.from(crlDer.buffer, crlDer.byteOffset, crlDer.byteLength);
    this.#serve(ca, authority, der, revokedAtMs);
    // Only once published: a generation that failed is tried again by the next call.
    this.#published.set(ca.id, { version, caPem: ca.certificatePem, atMs: thisUpdate.getTime() });
    this.#onCrlPublished?.(ca.id, der);
  }

  /** Publishes the CA's entry in the runtime PublicPki: this CRL, and OCSP answers signed from the revocation set. */
  #serve(
    ca: ManagedCaRecord,
    authority: CertificateAuthority,
    crlDer: Buffer,
    revokedAtMs: ReadonlyMap<string, number>,
  ): void {
    const store = this.#store;
    const lookup = async (serialHex: string): Promise<OcspCertificateStatus> => {
      const at = revokedAtMs.get(serialForLookup(serialHex));
      if (at !== undefined) return { status: 'revoked', revokedAt: new Date(at) };
      // Only serials this CA really issued are "good" (RFC 6960 §2.2: otherwise "unknown").
      const issued = await store.getClientCertificateBySerial(ca.id, serialHex);
      return issued === undefined ? { status: 'unknown' } : { status: 'good' };
    };
    const now = this.#now;
    this.#pki.publish(ca.id, {
      caPem: ca.certificatePem,
      crlDer,
      async respondOcsp(requestDer) {
        const at = now();
        return Buffer.from(
          await buildOcspResponse({
            ca: authority,
            requestDer,
            lookup,
            now: at,
            nextUpdate: new Date(at.getTime() + OCSP_NEXT_UPDATE_MS),
          }),
        );
      },
    });
  }
}

function* entriesOf(revokedAtMs: ReadonlyMap<string, number>): Iterable<CrlEntry> {
  for (const [serialHex, revokedAt] of revokedAtMs) yield { serialHex, revokedAt };
}
