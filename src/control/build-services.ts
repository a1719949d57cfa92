/** Assembles the control-plane use cases over one store (called by the composition root only). */
import type { Store } from '../store/ports.ts';
import type { SecretBox } from '../store/secret-box.ts';
import type { PublicPki } from '../runtime-config/public-pki.ts';
import { TokenService } from './token-service.ts';
import { TenancyService } from './tenancy-service.ts';
import { EdgeCaService } from './edge-ca-service.ts';
import { ManagedCaService } from './managed-ca-service.ts';
import { PublicPkiPublisher } from './public-pki-publisher.ts';
import { ClientCertificateService } from './client-certificate-service.ts';
import { MtlsCertificateService } from './mtls-certificate-service.ts';
import { HostnameAssociationService } from './hostname-association-service.ts';
import { EdgeCertificateService } from './edge-certificate-service.ts';
import { RulesetService } from './ruleset-service.ts';
import { RouteService } from './route-service.ts';
import { ManagedHeadersService } from './managed-headers-service.ts';
import { ApiDefinitionService } from './api-definition-service.ts';
import { GatewayKeyService, type QuotaRemaining } from './gateway-key-service.ts';
import { GatewayPolicyService } from './gateway-policy-service.ts';
import { CaRevocationService } from './ca-revocation-service.ts';
import { buildPortalServices } from './portal/build-portal-services.ts';

export interface ServiceOptions {
  store: Store;
  box: SecretBox;
  publicPki: PublicPki;
  /** Base URL of the gateway (read when a certificate is issued: the port may be known only after listening). */
  publicUrl: () => string;
  maxCasPerAccount?: number;
  /** The gateway's own hostnames (the --public-url host): zone names only the operator may create. */
  operatorHostnames?: readonly string[];
  /** Requests left in a key's quota (the usage counters); absent: a key's whole quota is reported. */
  quotaRemaining?: QuotaRemaining;
}

export type ControlServices = ReturnType<typeof buildServices>;

export function buildServices(options: ServiceOptions) {
  const { store, box, publicPki, publicUrl } = options;
  const tokens = new TokenService(store);
  const tenancy = new TenancyService(store, { operatorHostnames: options.operatorHostnames ?? [] });
  const managedCas = new ManagedCaService(store, box);
  const publicPkiPublisher = new PublicPkiPublisher(store, managedCas, publicPki);
  const mtlsCertificates = new MtlsCertificateService(store, box, tenancy, options.maxCasPerAccount);
  const clientCertificates = new ClientCertificateService({
    store,
    tenancy,
    managedCas,
    publisher: publicPkiPublisher,
    publicUrl,
  });
  const keys = new GatewayKeyService(
    store,
    tenancy,
    options.quotaRemaining === undefined ? {} : { quotaRemaining: options.quotaRemaining },
  );
  return {
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
    apis: new ApiDefinitionService(store, tenancy),
    keys,
    policies: new GatewayPolicyService(store, tenancy),
    portal: buildPortalServices({ store, tenancy, clientCertificates, keys }),
  };
}
