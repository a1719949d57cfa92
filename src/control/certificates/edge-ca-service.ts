/**
 * EdgeCaService: the gateway's own CA for server certificates, so a hostname without an uploaded
 * edge certificate still gets one and everything works out of the box (docs/architecture.md, "Data model"). Created on
 * first start and kept in the settings store, its key sealed with the master key. It is the first
 * secret a store holds, so it is also what tells a gateway whether its master key is the cluster's
 * (control/cluster-master-key.ts).
 */
import { createRootCa, issueCertificate, type CertificateAuthority } from '../../pki/certificate-issuer.ts';
import type { SecretBox } from '../../store/secret-box.ts';
import type { SettingsStore, Store } from '../../store/ports.ts';

const CERT_KEY = 'edge_ca.certificate';
const SEALED_KEY = 'edge_ca.sealed_private_key';
const EDGE_CA_VALIDITY_DAYS = 3650; // 10 years
const EDGE_CERT_VALIDITY_DAYS = 90;

/** Whether the store holds an edge CA, without opening it (no master key needed). */
export async function edgeCaExists(store: SettingsStore): Promise<boolean> {
  return (await store.getSetting(SEALED_KEY)) !== undefined;
}

export class EdgeCaService {
  readonly #store: Store;
  readonly #box: SecretBox;
  readonly #issued = new Map<
    string,
    { credentials: { certPem: string; keyPem: string; caPem: string }; renewAfter: number }
  >();

  constructor(store: Store, box: SecretBox) {
    this.#store = store;
    this.#box = box;
  }

  /**
   * The edge CA, created on first need. Gateways starting together on an empty store each make
   * one; the first certificate inserted wins (insert if absent: the others wait for its
   * transaction, write nothing, and read the winner's pair), so the cluster has one edge CA.
   */
  async authority(): Promise<CertificateAuthority> {
    const existing = await this.#read();
    if (existing !== undefined) return existing;
    const created = await createRootCa({
      name: 'CN=Portcullis Edge CA,O=Portcullis',
      validityDays: EDGE_CA_VALIDITY_DAYS,
    });
    await this.#store.transaction(async (store) => {
      if (!(await store.putSettingIfAbsent(CERT_KEY, created.certPem))) return;
      await store.putSetting(SEALED_KEY, this.#box.seal(created.keyPem));
    });
    const stored = await this.#read();
    if (stored === undefined) throw new Error('edge CA could not be stored');
    return stored;
  }

  /**
   * A server certificate for these names, issued by the edge CA. Issued once per set of names and
   * reused until a third of its validity is left: every recompiled gateway snapshot then presents
   * the same certificate (a new one would change the host's trust id and end its TLS sessions).
   */
  async serverCredentials(names: readonly string[]): Promise<{ certPem: string; keyPem: string; caPem: string }> {
    const key = names.join(',');
    const cached = this.#issued.get(key);
    if (cached !== undefined && cached.renewAfter > Date.now()) return cached.credentials;
    const credentials = await this.#issue(names);
    this.#issued.set(key, { credentials, renewAfter: Date.now() + ((EDGE_CERT_VALIDITY_DAYS * 2) / 3) * 86_400_000 });
    return credentials;
  }

  async #issue(names: readonly string[]): Promise<{ certPem: string; keyPem: string; caPem: string }> {
    const ca = await this.authority();
    const ipAddresses = names.filter((name) => /^[\d.]+$|:/.test(name));
    const dnsNames = names.filter((name) => !ipAddresses.includes(name));
    const issued = await issueCertificate({
      ca,
      subject: `CN=${dnsNames[0] ?? 'portcullis'}`,
      dnsNames,
      ipAddresses,
      usage: 'server',
      validityDays: EDGE_CERT_VALIDITY_DAYS,
    });
    return { certPem: issued.certPem, keyPem: issued.keyPem, caPem: ca.certPem };
  }

  async #read(): Promise<CertificateAuthority | undefined> {
    const certPem = await this.#store.getSetting(CERT_KEY);
    const sealed = await this.#store.getSetting(SEALED_KEY);
    if (certPem === undefined || sealed === undefined) return undefined;
    return { certPem, keyPem: this.#box.open(sealed) };
  }
}
