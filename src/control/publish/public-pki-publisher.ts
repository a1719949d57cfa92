/**
 * PublicPkiPublisher: keeps the gateway's public CRL and OCSP responder of every managed CA current.
 * A new CRL (with the next CRL number, RFC 5280 §5.2.3) is generated at start and after every status
 * change of a client certificate, and published to the runtime PublicPki the data plane reads.
 * OCSP answers are signed per request from an in-memory view of the CA's revocations.
 */
import { generateCrlOffThread } from './crl-generation-off-thread.ts';
import { buildOcspResponse, type OcspCertificateStatus } from '../../pki/ocsp-responder.ts';
import type { PublicPki } from '../../runtime-config/public-pki.ts';
import type { Store } from '../../store/ports.ts';
import type { ManagedCaRecord } from '../../model/records.ts';
import type { ManagedCaService } from '../certificates/managed-ca-service.ts';

/** A CRL is reissued at least this often even without changes, so relying parties never see a stale one. */
export const CRL_VALIDITY_MS = 7 * 86_400_000; // 7 days
/** OCSP answers may be cached this long by relying parties (RFC 6960 §4.2.2.1 nextUpdate). */
const OCSP_NEXT_UPDATE_MS = 3_600_000; // 1 hour

export class PublicPkiPublisher {
  readonly #store: Store;
  readonly #managedCas: ManagedCaService;
  readonly #pki: PublicPki;
  readonly #now: () => Date;
  /** CAs published by this process; a CA seen for the first time (just created) is published at once. */
  readonly #published = new Set<string>();

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

  /** Regenerates and publishes the CRL and OCSP view of one CA. */
  async publish(ca: ManagedCaRecord): Promise<void> {
    this.#published.add(ca.id);
    const authority = this.#managedCas.authorityOf(ca);
    const revoked = await this.#store.listRevokedByCa(ca.id);
    // pending_revocation already counts as revoked: revocation takes effect at once (docs/architecture.md, "Data model").
    const revokedAt = new Map(
      revoked
        .filter((cert) => cert.status === 'revoked' || cert.status === 'pending_revocation')
        .map((cert) => [cert.serialNumber.toLowerCase(), new Date(cert.revokedAt ?? cert.issuedOn)]),
    );
    const thisUpdate = this.#now();
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
  }
}
