/**
 * EdgeCertificateService: server certificates a zone's hostnames present (Cloudflare's
 * custom_certificates). The key must match the certificate, and the certificate must name at least
 * one hostname of the zone (not of another account's subdomain zone: foreign-hostnames.ts); only
 * those are stored as its hosts. The key is sealed at rest and never returned.
 */
import { X509Certificate } from 'node:crypto';
import { GW_ERR_API_OBJECT_NOT_FOUND, GW_ERR_HOSTNAME_NOT_IN_ZONE } from '../../errors/index.ts';
import { validateMtlsUpload } from '../../pki/mtls-upload.ts';
import type { SecretBox } from '../../store/secret-box.ts';
import type { Store } from '../../store/ports.ts';
import type { EdgeCertificateRecord, HexId, Uuid } from '../../model/records.ts';
import type { Principal } from '../access-policy.ts';
import { inZoneTransaction } from '../account-transaction.ts';
import { foreignHostnames } from '../tenancy/foreign-hostnames.ts';
import { isoSeconds, newUuid } from '../ids.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';

export class EdgeCertificateService {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #tenancy: TenancyService;

  constructor(store: Store, box: SecretBox, tenancy: TenancyService) {
    this.#store = store;
    this.#box = box;
    this.#tenancy = tenancy;
  }

  async upload(
    principal: Principal,
    zoneId: HexId,
    input: { certificate: string; privateKey: string },
  ): Promise<EdgeCertificateRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'edit');
    const validated = validateMtlsUpload({
      ca: false,
      certificatesPem: input.certificate,
      privateKeyPem: input.privateKey,
      leafUsage: 'serverAuth',
    });
    const leaf = validated.certificates[0] ?? new X509Certificate(validated.normalisedPem);
    const inZone = dnsNamesOf(leaf).filter(
      (name) => name === zone.name || name.endsWith(`.${zone.name}`) || name === `*.${zone.name}`,
    );
    return inZoneTransaction(this.#store, zone, async (store) => {
      // Names another account's (delegated) subdomain zone holds are not this zone's to serve.
      const foreign = await foreignHostnames(store, zone, inZone);
      const hosts = inZone.filter((name) => !foreign.has(name));
      if (hosts.length === 0)
        throw GW_ERR_HOSTNAME_NOT_IN_ZONE.create(`the certificate names no hostname of ${zone.name}`);
      const now = isoSeconds(new Date());
      const record: EdgeCertificateRecord = {
        id: newUuid(),
        zoneId: zone.id,
        hosts,
        certificatePem: validated.normalisedPem,
        sealedPrivateKey: this.#box.seal(input.privateKey),
        issuer: validated.description.issuer,
        signature: validated.description.signature,
        expiresOn: isoSeconds(validated.description.expiresOn),
        uploadedOn: now,
        modifiedOn: now,
      };
      await store.createEdgeCertificate(record);
      return record;
    });
  }

  async list(principal: Principal, zoneId: HexId): Promise<EdgeCertificateRecord[]> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    return this.#store.listEdgeCertificates(zone.id);
  }

  async get(principal: Principal, zoneId: HexId, id: Uuid): Promise<EdgeCertificateRecord> {
    const zone = await this.#tenancy.getZone(principal, zoneId, 'read');
    const record = await this.#store.getEdgeCertificate(zone.id, id);
    if (record === undefined) throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/zones/${zoneId}/custom_certificates/${id}`);
    return record;
  }

  async delete(principal: Principal, zoneId: HexId, id: Uuid): Promise<EdgeCertificateRecord> {
    await this.#tenancy.getZone(principal, zoneId, 'edit');
    const record = await this.get(principal, zoneId, id);
    await this.#store.deleteEdgeCertificate(record.zoneId, id);
    return record;
  }
}

/** DNS names from subjectAltName (Node's text form `DNS:a, DNS:b`; only DNS entries are used). */
function dnsNamesOf(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
}
