/**
 * ReplacedCertificateRevoker: revokes the certificates re-enrollment replaced, once their profile's
 * grace period is over (docs/adr/0016). Every gateway of a cluster runs one: a revocation is
 * idempotent (an already revoked certificate is only marked done), so two gateways meeting the same
 * due row do no harm, and the change announcement carries each revocation to every snapshot.
 */
import type { Store } from '../../store/ports.ts';
import { isoSeconds } from '../ids.ts';
import type { ManagedCaService } from '../certificates/managed-ca-service.ts';
import type { PublicPkiPublisher } from '../publish/public-pki-publisher.ts';

export interface ReplacedCertificateRevokerOptions {
  store: Store;
  managedCas: ManagedCaService;
  publisher: PublicPkiPublisher;
  announce: () => Promise<void>;
  now?: () => Date;
}

export class ReplacedCertificateRevoker {
  readonly #options: ReplacedCertificateRevokerOptions;

  constructor(options: ReplacedCertificateRevokerOptions) {
    this.#options = options;
  }

  /** Revokes what is due; how many certificates it revoked. */
  async revokeDue(): Promise<number> {
    const { store, managedCas, publisher } = this.#options;
    const now = isoSeconds((this.#options.now ?? (() => new Date()))());
    const due = await store.listEstEnrollmentsDue(now);
    if (due.length === 0) return 0;
    const cas = new Set<string>();
    let revoked = 0;
    for (const enrollment of due) {
      await store.transaction(async (trx) => {
        await trx.lockAccount(enrollment.accountId);
        const certificate = await trx.getClientCertificate(enrollment.zoneId, enrollment.clientCertificateId);
        if (certificate?.status === 'active') {
          await trx.updateClientCertificateStatus(certificate.zoneId, certificate.id, 'revoked', now);
          cas.add(certificate.caId);
          revoked += 1;
        }
        await trx.clearEstRevokeAfter(enrollment.clientCertificateId);
      });
    }
    for (const caId of cas) {
      const ca = await managedCas.get(caId);
      if (ca !== undefined) await publisher.publish(ca);
    }
    if (revoked > 0) await this.#options.announce();
    return revoked;
  }
}
