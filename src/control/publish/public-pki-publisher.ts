/**
 * PublicPkiPublisher: keeps the gateway's public CRL and OCSP responder of every managed CA current.
 * A new CRL (with the next CRL number, RFC 5280 §5.2.3) is generated at start and after every status
 * change of a client certificate, and published to the runtime PublicPki the data plane reads.
 * OCSP answers are signed per request from an in-memory view of the CA's revocations.
 *
 * Every configuration change asks for all CAs to be published (the change feed cannot tell a revocation made
 * by another node from a route edit). A CA whose revocation version did not move and whose CRL is younger than
 * CRL_REISSUE_AFTER_MS keeps the CRL it has: re-signing 100,000 entries for a route edit is what stalled the
 * gateway (bench/revocation-scale.ts), and it would spend a CRL number for nothing.
 */
import { generateCrlOffThread } from './crl-generation-off-thread.ts';
import { buildOcspResponse, type OcspCertificateStatus } from '../../pki/ocsp-responder.ts';
import type { PublicPki } from '../../runtime-config/public-pki.ts';
import type { Store } from '../../store/ports.ts';
import type { ManagedCaRecord } from '../../model/records.ts';
import type { ManagedCaService } from '../certificates/managed-ca-service.ts';
import { RevokedSerialsCache } from './revoked-serials-cache.ts';
import { serialToWire } from '../../pki/serial.ts';

/** A CRL is reissued at least this often even without changes, so relying parties never see a stale one. */
export const CRL_VALIDITY_MS = 7 * 86_400_000; // 7 days
/** OCSP answers may be cached this long by relying parties (RFC 6960 §4.2.2.1 nextUpdate). */
const OCSP_NEXT_UPDATE_MS = 3_600_000; // 1 hour
/** An unchanged CRL older than this is reissued when asked (the daily refresh always finds it so). */
const CRL_REISSUE_AFTER_MS = 12 * 3_600_000;

export class PublicPkiPublisher {
  readonly #store: Store;
  readonly #managedCas: ManagedCaService;
  readonly #pki: PublicPki;
  readonly #now: () => Date;
  /**
   * What this process last published per CA: its revocation version and when. A CA seen for the first time
   * (just created) is published at once.
   */
  readonly #published = new Map<string, { version: number; caPem: string; atMs: number }>();
  readonly #revoked = new RevokedSerialsCache();

  /** The revoked serials this publisher keeps current: the snapshot compiler shares them (one listing, not two). */
  get revokedSerials(): RevokedSerialsCache {
    return this.#revoked;
  }

  constructor(store: Store, managedCas: ManagedCaService, pki: PublicPki, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#managedCas = managedCas;
    this.#pki = pki;
    this.#now = now;
  }

  async publishAll(): Promise<void> {
    for (const ca of await this.#store.listManagedCas()) await this.publish(ca);
  }

  /** Publishes a CA's CRL and OCSP view unless this process already did (no new CRL number used). */
  async ensurePublished(ca: ManagedCaRecord): Promise<void> {
    if (!this.#published.has(ca.id)) await this.publish(ca);
  }

  /** Regenerates and publishes the CRL and OCSP view of one CA, unless they are current (see above). */
  async publish(ca: ManagedCaRecord): Promise<void> {
    const { version, byId } = await this.#revoked.read(this.#store, ca.id);
    const thisUpdate = this.#now();
    const last = this.#published.get(ca.id);
    const current = last?.version === version && last.caPem === ca.certificatePem;
    if (current && thisUpdate.getTime() - last.atMs < CRL_REISSUE_AFTER_MS) return;
    const authority = this.#managedCas.authorityOf(ca);
    // pending_revocation already counts as revoked (the store lists both): revocation takes effect at once
    // (docs/architecture.md, "Data model").
    const revokedAt = new Map(
      [...byId.values()].map((cert) => [serialToWire(cert.serialNumber), new Date(cert.revokedAt ?? cert.issuedOn)]),
    );
    // Long lists are signed in a worker thread: the data plane shares this event loop.
    const crl = await generateCrlOffThread({
      ca: authority,
      crlNumber: await this.#store.takeCrlNumber(ca.id),
      entries: [...revokedAt].map(([serialHex, at]) => ({ serialHex, revokedAt: at })),
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + CRL_VALIDITY_MS),
    });
    const store = this.#store;
    const lookup = async (serialHex: string): Promise<OcspCertificateStatus> => {
      const at = revokedAt.get(serialHex);
      if (at !== undefined) return { status: 'revoked', revokedAt: at };
      // Only serials this CA really issued are "good" (RFC 6960 §2.2: otherwise "unknown").
      const issued = await store.getClientCertificateBySerial(ca.id, serialHex);
      return issued === undefined ? { status: 'unknown' } : { status: 'good' };
    };
    const now = this.#now;
    this.#pki.publish(ca.id, {
      caPem: ca.certificatePem,
      crlDer: Buffer.from(crl.der),
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
    // Only once published: a generation that failed is tried again by the next call.
    this.#published.set(ca.id, { version, caPem: ca.certificatePem, atMs: thisUpdate.getTime() });
  }
}
