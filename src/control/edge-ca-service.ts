/**
 * EdgeCaService: the gateway's own CA for server certificates, so a hostname without an uploaded
 * edge certificate still gets one and everything works out of the box (DESIGN.md §3). Created on
 * first start and kept in the settings store, its key sealed with the master key.
 */
import { createRootCa, issueCertificate, type CertificateAuthority } from '../pki/certificate-issuer.ts';
import type { SecretBox } from '../store/secret-box.ts';
import { StoreConflictError, type Store } from '../store/ports.ts';

const CERT_KEY = 'edge_ca.certificate';
const SEALED_KEY = 'edge_ca.sealed_private_key';
const EDGE_CA_VALIDITY_DAYS = 3650; // 10 years
const EDGE_CERT_VALIDITY_DAYS = 90;

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

  /** The edge CA, created on first need. */
  async authority(): Promise<CertificateAuthority> {
    const existing = await this.#read();
    if (existing !== undefined) return existing;
    const created = await createRootCa({
      name: 'CN=Portcullis Edge CA,O=Portcullis',
      validityDays: EDGE_CA_VALIDITY_DAYS,
    });
    try {
      await this.#store.transaction(async (store) => {
        if ((await store.getSetting(CERT_KEY)) !== undefined) throw new StoreConflictError('edge CA exists');
        await store.putSetting(CERT_KEY, created.certPem);
        await store.putSetting(SEALED_KEY, this.#box.seal(created.keyPem));
      });
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      // Another instance created it first: use theirs.
    }
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
