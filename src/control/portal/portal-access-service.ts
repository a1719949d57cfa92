/**
 * A developer's apps and their access to products (docs/adr/0017). Every method takes the
 * developer's id from the session and reads only through it: an app, a request, a key or a
 * certificate of another developer is "not found", exactly like one that does not exist.
 *
 * An access request carries one credential (portal-credential.ts). Approval — automatic, or by the
 * operator with a message — issues the certificate from the account's managed CA (key and CSR
 * options) or takes the pasted one (after checking that a CA trusted on the product's hostnames
 * issued it), then creates a gateway key bound to it with the product's policy. The key's metadata
 * names the developer and the app, so the key, analytics and expiry reports say whose it is.
 * A rotation is a new request that replaces an approved one: once it is approved, the old one keeps
 * working for the grace period the developer chose (0–30 days), then the sweeper revokes it.
 * Revoking deletes the key (every gateway refuses the certificate at the next request, on open
 * connections too) and revokes a managed-CA certificate (CRL and OCSP).
 */
import { createHash, X509Certificate } from 'node:crypto';
import {
  GW_ERR_API_OBJECT_NOT_FOUND,
  GW_ERR_API_VALIDATION,
  GW_ERR_PORTAL_CREDENTIAL_REFUSED,
  GW_ERR_PORTAL_NOT_FOUND,
  GW_ERR_PORTAL_REQUEST_STATE,
  GatewayError,
} from '../../errors/index.ts';
import type { Store } from '../../store/ports.ts';
import type { ApiDefinitionRecord, HexId } from '../../model/records.ts';
import type {
  AccessRequestStatus,
  PortalAccessRequestRecord,
  PortalAppRecord,
  PortalProductRecord,
} from '../../model/portal-records.ts';
import { canSeeAccount, type Principal } from '../access-policy.ts';
import type { ClientCertificateService } from '../certificates/client-certificate-service.ts';
import type { GatewayKeyService } from '../apis/gateway-key-service.ts';
import { isoMicros, newHexId } from '../ids.ts';
import { checkCredential, type CheckedCredential, type CredentialInput } from './portal-credential.ts';
import { checkGraceDays, checkText } from './portal-input.ts';
import { productApis } from './portal-product-service.ts';

export const MAX_APPS_PER_DEVELOPER = 50;
export const MAX_OPEN_REQUESTS_PER_APP = 20;
const DAY_MS = 86_400_000;
/** A hold on a request older than this is taken over: its holder died half-way (a decision takes seconds). */
const HOLD_STALE_MS = 5 * 60_000;

export interface AccessServiceOptions {
  store: Store;
  clientCertificates: ClientCertificateService;
  keys: GatewayKeyService;
  now?: () => Date;
}

export interface ProductWithApis {
  product: PortalProductRecord;
  apis: ApiDefinitionRecord[];
}

export interface AppPage {
  app: PortalAppRecord;
  requests: PortalAccessRequestRecord[];
  /** By product id: the products the requests are of (a deleted one is missing). */
  products: Map<HexId, ProductWithApis>;
}

export interface AccessRequestInput {
  product_id?: unknown;
  credential?: CredentialInput;
}

export interface RotationInput {
  credential?: CredentialInput;
  grace_days?: unknown;
}

/** Acting for the portal inside one account: never more than that account. */
function portalPrincipal(accountId: HexId): Principal {
  return { id: '0'.repeat(32), scope: { kind: 'account', accountId }, permission: 'edit' };
}

export class PortalAccessService {
  readonly #options: AccessServiceOptions;
  readonly #now: () => Date;

  constructor(options: AccessServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  get #store(): Store {
    return this.#options.store;
  }

  // The catalogue as developers see it.

  async publishedProducts(): Promise<ProductWithApis[]> {
    const products = (await this.#store.listPortalProducts()).filter((product) => product.published);
    return this.#withApis(products);
  }

  /**
   * What the app page shows, in a fixed number of reads whatever the number of requests and
   * products: the app, its requests, and the products they are of with their APIs.
   */
  async appPage(developerId: HexId, appId: string): Promise<AppPage> {
    const app = await this.app(developerId, appId);
    const requests = await this.#store.listPortalAccessRequests({ developerId, appId: app.id });
    const used = new Set(requests.map((request) => request.productId));
    const products = (await this.#store.listPortalProducts()).filter((product) => used.has(product.id));
    const withApis = await this.#withApis(products);
    return { app, requests, products: new Map(withApis.map((entry) => [entry.product.id, entry])) };
  }

  /** The products with their APIs: one read of the accounts' zones, one of each zone's APIs. */
  async #withApis(products: readonly PortalProductRecord[]): Promise<ProductWithApis[]> {
    if (products.length === 0) return [];
    const accountIds = [...new Set(products.map((product) => product.accountId))];
    const zones = await this.#store.listZones({ accountIds });
    const apis = new Map<HexId, { api: ApiDefinitionRecord; accountId: HexId }>();
    for (const zone of zones) {
      for (const api of await this.#store.listApis(zone.id)) apis.set(api.id, { api, accountId: zone.accountId });
    }
    // An API deleted since the product was made: show the others. Never another account's.
    return products.map((product) => ({
      product,
      apis: product.apiIds.flatMap((id) => {
        const found = apis.get(id);
        return found !== undefined && found.accountId === product.accountId ? [found.api] : [];
      }),
    }));
  }

  // Apps.

  async createApp(developerId: HexId, input: { name?: unknown; description?: unknown }): Promise<PortalAppRecord> {
    const name = checkText(input.name, 'name', 1, 100);
    if (/[\r\n]/.test(name)) throw GW_ERR_API_VALIDATION.create('name must be one line');
    const description = input.description === undefined ? '' : checkText(input.description, 'description', 0, 1000);
    if ((await this.#store.listPortalApps(developerId)).length >= MAX_APPS_PER_DEVELOPER) {
      throw GW_ERR_API_VALIDATION.create(`a developer has at most ${MAX_APPS_PER_DEVELOPER} apps`);
    }
    const app: PortalAppRecord = {
      id: newHexId(),
      developerId,
      name,
      description,
      createdOn: isoMicros(this.#now()),
    };
    await this.#store.createPortalApp(app);
    return app;
  }

  listApps(developerId: HexId): Promise<PortalAppRecord[]> {
    return this.#store.listPortalApps(developerId);
  }

  async app(developerId: HexId, appId: string): Promise<PortalAppRecord> {
    const app = /^[0-9a-f]{32}$/.test(appId) ? await this.#store.getPortalApp(developerId, appId) : undefined;
    if (app === undefined) throw GW_ERR_PORTAL_NOT_FOUND.create('app');
    return app;
  }

  /** The developer's own request, whatever app it is of. */
  async request(developerId: HexId, requestId: string): Promise<PortalAccessRequestRecord> {
    const request = /^[0-9a-f]{32}$/.test(requestId) ? await this.#store.getPortalAccessRequest(requestId) : undefined;
    if (request === undefined || request.developerId !== developerId) {
      throw GW_ERR_PORTAL_NOT_FOUND.create('access request');
    }
    return request;
  }

  // Requests.

  async requestAccess(
    developerId: HexId,
    appId: string,
    input: AccessRequestInput,
  ): Promise<PortalAccessRequestRecord> {
    const app = await this.app(developerId, appId);
    const product = await this.#publishedProduct(input.product_id);
    const credential = checkCredential(input.credential, this.#now().getTime());
    return this.#submit(app, product, credential, null, 0);
  }

  /** A new credential for an approved request; the old one works for `grace_days` after the new one is approved. */
  async rotate(developerId: HexId, requestId: string, input: RotationInput): Promise<PortalAccessRequestRecord> {
    const current = await this.request(developerId, requestId);
    if (current.status !== 'approved')
      throw GW_ERR_PORTAL_REQUEST_STATE.create(`${current.status}: only an approved credential can be rotated`);
    const graceDays = checkGraceDays(input.grace_days);
    const app = await this.app(developerId, current.appId);
    const product = await this.#product(current.productId);
    const credential = checkCredential(input.credential, this.#now().getTime());
    return this.#submit(app, product, credential, current.id, graceDays);
  }

  /** The developer revokes one of their own credentials (or withdraws a pending request). */
  async revokeOwn(developerId: HexId, requestId: string): Promise<PortalAccessRequestRecord> {
    const request = await this.request(developerId, requestId);
    if (request.status === 'pending') {
      await this.#hold(request);
      return this.#decide(request, 'rejected', 'withdrawn by the developer');
    }
    if (request.status !== 'approved') throw GW_ERR_PORTAL_REQUEST_STATE.create(`already ${request.status}`);
    await this.#hold(request);
    return this.#revoke(request);
  }

  // The operator's side.

  async listForOperator(principal: Principal, status?: string): Promise<PortalAccessRequestRecord[]> {
    const statuses = status === undefined ? undefined : [status as AccessRequestStatus];
    const all = await this.#store.listPortalAccessRequests(statuses === undefined ? {} : { statuses });
    return all.filter((request) => canSeeAccount(principal, request.accountId));
  }

  async getForOperator(principal: Principal, id: string): Promise<PortalAccessRequestRecord> {
    const request = /^[0-9a-f]{32}$/.test(id) ? await this.#store.getPortalAccessRequest(id) : undefined;
    if (request === undefined || !canSeeAccount(principal, request.accountId)) {
      throw GW_ERR_API_OBJECT_NOT_FOUND.create(`/portal/access_requests/${id}`);
    }
    return request;
  }

  async approve(principal: Principal, id: string, message: unknown): Promise<PortalAccessRequestRecord> {
    const text = operatorMessage(message);
    const request = await this.#pendingForOperator(principal, id);
    await this.#hold(request);
    try {
      return await this.#approve(request, text);
    } catch (error) {
      // Nothing was decided: the request is pending again (the put ends the hold).
      await this.#store.putPortalAccessRequest(request);
      throw error;
    }
  }

  async reject(principal: Principal, id: string, message: unknown): Promise<PortalAccessRequestRecord> {
    const text = operatorMessage(message);
    const request = await this.#pendingForOperator(principal, id);
    await this.#hold(request);
    return this.#decide(request, 'rejected', text);
  }

  async revokeForOperator(principal: Principal, id: string): Promise<PortalAccessRequestRecord> {
    const request = await this.getForOperator(principal, id);
    if (principal.permission !== 'edit') throw GW_ERR_API_VALIDATION.create('a read token cannot revoke');
    if (request.status !== 'approved') throw GW_ERR_PORTAL_REQUEST_STATE.create(`${request.status}, not approved`);
    await this.#hold(request);
    return this.#revoke(request);
  }

  /** Revokes replaced credentials whose grace period is over; returns how many. */
  async sweep(): Promise<number> {
    const now = this.#now().getTime();
    let revoked = 0;
    for (const request of await this.#store.listPortalAccessRequests({ statuses: ['approved'] })) {
      if (request.revokeAfter !== null && Date.parse(request.revokeAfter) <= now) {
        // Another node's sweeper, or the developer, may be revoking it right now: theirs to finish.
        if (!(await this.#tryHold(request))) continue;
        await this.#revoke(request);
        revoked += 1;
      }
    }
    return revoked;
  }

  /** Approved credentials of the developer whose certificate ends within `days` days. */
  async expiringSoon(developerId: HexId, days = 30): Promise<PortalAccessRequestRecord[]> {
    const limit = this.#now().getTime() + days * DAY_MS;
    const approved = await this.#store.listPortalAccessRequests({ developerId, statuses: ['approved'] });
    return approved.filter((request) => request.notAfter !== null && Date.parse(request.notAfter) <= limit);
  }

  // Internals.

  async #submit(
    app: PortalAppRecord,
    product: PortalProductRecord,
    credential: CheckedCredential,
    replacesId: HexId | null,
    graceDays: number,
  ): Promise<PortalAccessRequestRecord> {
    const open = await this.#store.listPortalAccessRequests({ appId: app.id, statuses: ['pending'] });
    if (open.length >= MAX_OPEN_REQUESTS_PER_APP) {
      throw GW_ERR_API_VALIDATION.create(`an app has at most ${MAX_OPEN_REQUESTS_PER_APP} pending requests`);
    }
    if (credential.certificate !== null) {
      await this.#checkTrusted(product, credential.certificate);
      await this.#checkUnbound(product.accountId, credential.certificate);
    }
    const request: PortalAccessRequestRecord = {
      id: newHexId(),
      developerId: app.developerId,
      appId: app.id,
      productId: product.id,
      accountId: product.accountId,
      credentialKind: credential.kind,
      csrPem: credential.csrPem,
      certificatePem: credential.certificatePem,
      bindTo: credential.bindTo,
      status: 'pending',
      message: '',
      requestedOn: isoMicros(this.#now()),
      decidedOn: null,
      zoneId: null,
      clientCertificateId: null,
      keyId: null,
      fingerprintSha256: credential.certificate === null ? null : fingerprintOf(credential.certificate),
      notAfter: credential.certificate === null ? null : new Date(credential.certificate.validTo).toISOString(),
      replacesId,
      graceDays,
      revokeAfter: null,
    };
    // Approved at once: stored only once approved, so a refusal (a certificate bound already) stores nothing.
    if (product.approvalMode === 'automatic') return this.#approve(request, 'approved automatically');
    await this.#store.putPortalAccessRequest(request);
    return request;
  }

  async #approve(request: PortalAccessRequestRecord, message: string): Promise<PortalAccessRequestRecord> {
    const { clientCertificates, keys } = this.#options;
    const product = await this.#product(request.productId);
    const principal = portalPrincipal(product.accountId);
    const apis = await productApis(this.#store, product.accountId, product.apiIds);
    const zoneId = apis[0]?.zoneId;
    if (zoneId === undefined) throw GW_ERR_API_VALIDATION.create('the product has no API');
    let issued: { id: string; pem: string; fingerprint: string; notAfter: string } | undefined;
    if (request.csrPem !== null) {
      const certificate = await clientCertificates.create(principal, zoneId, {
        csr: request.csrPem,
        validityDays: product.validityDays,
      });
      issued = {
        id: certificate.id,
        pem: certificate.certificatePem,
        fingerprint: certificate.fingerprintSha256.replace(/:/g, '').toLowerCase(),
        notAfter: certificate.expiresOn,
      };
    }
    const app = await this.#store.getPortalApp(request.developerId, request.appId);
    const developer = await this.#store.getPortalDeveloper(request.developerId);
    let keyId: string;
    try {
      const created = await keys.create(principal, product.accountId, {
        alias: `portal: ${developer?.email ?? request.developerId} / ${app?.name ?? request.appId}`.slice(0, 255),
        certificate:
          issued === undefined ? { pem: request.certificatePem ?? '' } : { client_certificate_id: issued.id },
        bind_to: request.bindTo,
        policy_ids: [product.policyId],
        metadata: {
          portal_developer_id: request.developerId,
          portal_developer_email: developer?.email ?? '',
          portal_app_id: request.appId,
          portal_app_name: app?.name ?? '',
          portal_request_id: request.id,
        },
      });
      keyId = created.key.id;
    } catch (error) {
      // Nothing half-done: a certificate issued for a key that could not be made is revoked again.
      if (issued !== undefined) await clientCertificates.revoke(principal, zoneId, issued.id).catch(() => undefined);
      if (error instanceof GatewayError && error.httpStatus === 409) {
        throw GW_ERR_PORTAL_CREDENTIAL_REFUSED.create('this certificate (or its public key) is already bound to a key');
      }
      throw error;
    }
    const now = this.#now();
    const approved: PortalAccessRequestRecord = {
      ...request,
      status: 'approved',
      message,
      decidedOn: isoMicros(now),
      zoneId,
      clientCertificateId: issued?.id ?? null,
      keyId,
      certificatePem: issued?.pem ?? request.certificatePem,
      fingerprintSha256: issued?.fingerprint ?? request.fingerprintSha256,
      notAfter: issued?.notAfter ?? request.notAfter,
    };
    await this.#store.putPortalAccessRequest(approved);
    if (request.replacesId !== null) await this.#startGrace(request.replacesId, request.graceDays, now);
    return approved;
  }

  async #startGrace(replacedId: HexId, graceDays: number, now: Date): Promise<void> {
    const replaced = await this.#store.getPortalAccessRequest(replacedId);
    if (replaced === undefined || replaced.status !== 'approved') return;
    if (graceDays === 0) {
      if (await this.#tryHold(replaced)) await this.#revoke(replaced);
      return;
    }
    await this.#store.putPortalAccessRequest({
      ...replaced,
      revokeAfter: isoMicros(new Date(now.getTime() + graceDays * DAY_MS)),
    });
  }

  async #revoke(request: PortalAccessRequestRecord): Promise<PortalAccessRequestRecord> {
    const principal = portalPrincipal(request.accountId);
    if (request.keyId !== null) {
      await this.#options.keys.delete(principal, request.accountId, request.keyId).catch((error: unknown) => {
        // Already deleted by the operator: the credential is revoked either way.
        if (!(error instanceof GatewayError && error.httpStatus === 404)) throw error;
      });
    }
    if (request.clientCertificateId !== null && request.zoneId !== null) {
      await this.#options.clientCertificates
        .revoke(principal, request.zoneId, request.clientCertificateId)
        .catch((error: unknown) => {
          if (!(error instanceof GatewayError && error.httpStatus === 404)) throw error;
        });
    }
    return this.#decide(request, 'revoked', request.message);
  }

  async #decide(
    request: PortalAccessRequestRecord,
    status: AccessRequestStatus,
    message: string,
  ): Promise<PortalAccessRequestRecord> {
    const record: PortalAccessRequestRecord = {
      ...request,
      status,
      message,
      decidedOn: isoMicros(this.#now()),
      revokeAfter: null,
    };
    await this.#store.putPortalAccessRequest(record);
    return record;
  }

  /**
   * One decision per request at a time (docs/adr/0017): two approvals, or an approval and a
   * rejection, racing on one request would otherwise both issue a certificate and a key. The
   * request's status is checked first; the hold is taken in the store, so it holds across nodes.
   */
  async #hold(request: PortalAccessRequestRecord): Promise<void> {
    if (!(await this.#tryHold(request))) {
      throw GW_ERR_PORTAL_REQUEST_STATE.create(`${request.status}, and being decided by another call right now`);
    }
  }

  #tryHold(request: PortalAccessRequestRecord): Promise<boolean> {
    const now = this.#now();
    return this.#store.claimPortalAccessRequest(
      request.id,
      request.status,
      isoMicros(now),
      isoMicros(new Date(now.getTime() - HOLD_STALE_MS)),
    );
  }

  async #pendingForOperator(principal: Principal, id: string): Promise<PortalAccessRequestRecord> {
    const request = await this.getForOperator(principal, id);
    if (principal.permission !== 'edit') throw GW_ERR_API_VALIDATION.create('a read token cannot decide requests');
    if (request.status !== 'pending') throw GW_ERR_PORTAL_REQUEST_STATE.create(`already ${request.status}`);
    return request;
  }

  async #product(id: HexId): Promise<PortalProductRecord> {
    const product = await this.#store.getPortalProduct(id);
    if (product === undefined) throw GW_ERR_PORTAL_NOT_FOUND.create('product');
    return product;
  }

  async #publishedProduct(id: unknown): Promise<PortalProductRecord> {
    const product =
      typeof id === 'string' && /^[0-9a-f]{32}$/.test(id) ? await this.#store.getPortalProduct(id) : undefined;
    if (product === undefined || !product.published) throw GW_ERR_PORTAL_NOT_FOUND.create('product');
    return product;
  }

  /** Refused early: a certificate (or its public key) another key of the account is bound to. */
  async #checkUnbound(accountId: HexId, certificate: X509Certificate): Promise<void> {
    const leaf = fingerprintOf(certificate);
    const spki = createHash('sha256')
      .update(certificate.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    for (const binding of [
      { kind: 'leaf_sha256' as const, value: leaf },
      { kind: 'spki_sha256' as const, value: spki },
    ]) {
      if ((await this.#store.getKeyByBinding(accountId, binding)) !== undefined) {
        throw GW_ERR_PORTAL_CREDENTIAL_REFUSED.create('this certificate (or its public key) is already bound to a key');
      }
    }
  }

  /**
   * A pasted certificate must come from a CA that every API of the product trusts on its hostname
   * (an uploaded CA associated with it, or the managed CA): otherwise the gateway would refuse it.
   */
  async #checkTrusted(product: PortalProductRecord, certificate: X509Certificate): Promise<void> {
    const [withApis] = await this.#withApis([product]);
    const apis = withApis?.apis ?? [];
    const store = this.#store;
    const uploaded = (await store.listMtlsCertificates(product.accountId)).filter((ca) => ca.ca);
    const managed = await store.getManagedCa(product.accountId);
    const issuers: { id: string | null; pem: string }[] = uploaded.map((ca) => ({
      id: ca.id,
      pem: ca.certificatesPem,
    }));
    if (managed !== undefined) issuers.push({ id: null, pem: managed.certificatePem });
    const trusting = issuers.filter((issuer) => issuedBy(certificate, issuer.pem));
    for (const api of apis) {
      let trusted = false;
      for (const issuer of trusting) {
        const hostnames = await store.listHostnames(api.zoneId, issuer.id);
        if (hostnames.some((hostname) => hostMatches(hostname, api.hostname))) trusted = true;
      }
      if (!trusted) {
        throw GW_ERR_PORTAL_CREDENTIAL_REFUSED.create(
          `it is not issued by a CA that ${api.hostname} trusts: ask the operator which CAs are accepted, or let the portal issue a certificate`,
        );
      }
    }
  }
}

function operatorMessage(message: unknown): string {
  if (message === undefined || message === null) return '';
  return checkText(message, 'message', 0, 1000);
}

function fingerprintOf(certificate: X509Certificate): string {
  return certificate.fingerprint256.replace(/:/g, '').toLowerCase();
}

/** Whether one of the CA certificates in `bundlePem` issued and signed `certificate`. */
function issuedBy(certificate: X509Certificate, bundlePem: string): boolean {
  const blocks = bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.some((pem) => {
    try {
      const ca = new X509Certificate(pem);
      return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
}

/** An association names a hostname exactly or as `*.zone`, as APIs do. */
function hostMatches(associated: string, apiHostname: string): boolean {
  if (associated === apiHostname) return true;
  if (!associated.startsWith('*.')) return false;
  const suffix = associated.slice(1); // ".zone"
  const label = apiHostname.slice(0, -suffix.length);
  return apiHostname.endsWith(suffix) && label !== '' && !label.includes('.');
}
