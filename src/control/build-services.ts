/** Assembles the control-plane use cases over one store (called by the composition root only). */
import type { Store } from '../store/ports.ts';
import type { SecretBox } from '../store/secret-box.ts';
import type { PublicPki } from '../runtime-config/public-pki.ts';
import { TokenService } from './tenancy/token-service.ts';
import { TenancyService } from './tenancy/tenancy-service.ts';
import { EdgeCaService } from './certificates/edge-ca-service.ts';
import { ManagedCaService } from './certificates/managed-ca-service.ts';
import { PublicPkiPublisher, type PublicPkiPublisherOptions } from './publish/public-pki-publisher.ts';
import { ClientCertificateService } from './certificates/client-certificate-service.ts';
import { MtlsCertificateService } from './certificates/mtls-certificate-service.ts';
import { HostnameAssociationService } from './certificates/hostname-association-service.ts';
import { EdgeCertificateService } from './certificates/edge-certificate-service.ts';
import { RulesetService } from './rulesets/ruleset-service.ts';
import { RouteService } from './routes/route-service.ts';
import { ManagedHeadersService } from './rulesets/managed-headers-service.ts';
import { ApiDefinitionService } from './apis/api-definition-service.ts';
import { GatewayKeyService, type QuotaRemaining } from './apis/gateway-key-service.ts';
import { GatewayPolicyService } from './apis/gateway-policy-service.ts';
import { CaRevocationService } from './revocation/ca-revocation-service.ts';
import { EstAdminService } from './est/est-admin-service.ts';
import { SanPolicyService } from './certificates/san-policy-service.ts';
import { buildPortalServices } from './portal/build-portal-services.ts';

export interface ServiceOptions {
  store: Store;
  box: SecretBox;
  publicPki: PublicPki;
  /** Base URL of the gateway (read when a certificate is issued: the port may be known only after listening). */
  publicUrl: () => string;
  /** The gateway listener's host (--listen): a loopback publicUrl is reported when this is not loopback. */
  listenHost?: string;
  maxCasPerAccount?: number;
  /** The gateway's own hostnames (the --public-url host): zone names only the operator may create. */
  operatorHostnames?: readonly string[];
  /** Requests left in a key's quota (the usage counters); absent: a key's whole quota is reported. */
  quotaRemaining?: QuotaRemaining;
  /** A managed CA's CRL generated after the answer failed (it is tried again). */
  onCrlFailure?: PublicPkiPublisherOptions['onCrlFailure'];
  /** Who makes the managed CAs' CRLs under `serve --workers N` (public-pki-publisher.ts); default: this process. */
  makesCrls?: boolean;
  onCrlPublished?: PublicPkiPublisherOptions['onCrlPublished'];
}

export type ControlServices = ReturnType<typeof buildServices>;

export function buildServices(options: ServiceOptions) {
  const { store, box, publicPki, publicUrl } = options;
  const tokens = new TokenService(store);
  const tenancy = new TenancyService(store, { operatorHostnames: options.operatorHostnames ?? [] });
  const managedCas = new ManagedCaService(store, box);
  const publicPkiPublisher = new PublicPkiPublisher(store, managedCas, publicPki, {
    ...(options.onCrlFailure === undefined ? {} : { onCrlFailure: options.onCrlFailure }),
    ...(options.makesCrls === undefined ? {} : { makesCrls: options.makesCrls }),
    ...(options.onCrlPublished === undefined ? {} : { onCrlPublished: options.onCrlPublished }),
  });
  const mtlsCertificates = new MtlsCertificateService(store, box, tenancy, options.maxCasPerAccount);
  const clientCertificates = new ClientCertificateService({
    store,
    tenancy,
    managedCas,
    publisher: publicPkiPublisher,
    publicUrl,
    ...(options.listenHost === undefined ? {} : { listenHost: options.listenHost }),
  });
  const keys = new GatewayKeyService(
    store,
    tenancy,
    options.quotaRemaining === undefined ? {} : { quotaRemaining: options.quotaRemaining },
  );
  return {
    est: new EstAdminService({ store, tenancy, managedCas, publisher: publicPkiPublisher }),
    tokens,
    tenancy,
    edgeCa: new EdgeCaService(store, box),
    managedCas,
    publicPkiPublisher,
    clientCertificates,
    mtlsCertificates,
    caRevocation: new CaRevocationService(store, tenancy),
    hostnameAssociations: new HostnameAssociationService(store, tenancy, mtlsCertificates),
    edgeCertificates: new EdgeCertificateService(store, box, tenancy),
    rulesets: new RulesetService(store, tenancy),
    routes: new RouteService(store, tenancy),
    managedHeaders: new ManagedHeadersService(store, tenancy),
    sanPolicies: new SanPolicyService(store, tenancy),
    apis: new ApiDefinitionService(store, tenancy),
    keys,
    policies: new GatewayPolicyService(store, tenancy),
    portal: buildPortalServices({ store, tenancy, clientCertificates, keys }),
  };
}
