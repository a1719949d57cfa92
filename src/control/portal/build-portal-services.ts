/** The developer portal's use cases over one store (called by buildServices). */
import type { Store } from '../../store/ports.ts';
import type { ClientCertificateService } from '../certificates/client-certificate-service.ts';
import type { GatewayKeyService } from '../apis/gateway-key-service.ts';
import type { TenancyService } from '../tenancy/tenancy-service.ts';
import { PortalAccessService } from './portal-access-service.ts';
import { PortalDeveloperService } from './portal-developer-service.ts';
import { PortalProductService } from './portal-product-service.ts';

export interface PortalServiceOptions {
  store: Store;
  tenancy: TenancyService;
  clientCertificates: ClientCertificateService;
  keys: GatewayKeyService;
}

export type PortalServices = ReturnType<typeof buildPortalServices>;

export function buildPortalServices(options: PortalServiceOptions) {
  const { store, tenancy, clientCertificates, keys } = options;
  return {
    products: new PortalProductService(store, tenancy),
    developers: new PortalDeveloperService(store),
    access: new PortalAccessService({ store, clientCertificates, keys }),
  };
}
