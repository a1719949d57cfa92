/**
 * Who a certificate issued through the developer portal belongs to, for the expiry webhook: the
 * developer ({ id, email }) and the app ({ id, name }). Undefined for every other certificate.
 * Called once per event delivered (at most hourly per certificate), never per request.
 */
import type { Store } from '../../store/ports.ts';
import type { ExpiringCertificate } from '../telemetry/certificate-expiry-service.ts';

export function portalOwnerOf(
  store: Store,
): (certificate: ExpiringCertificate) => Promise<Record<string, unknown> | undefined> {
  return async (certificate) => {
    if (certificate.kind !== 'client') return undefined;
    const requests = await store.listPortalAccessRequests({ statuses: ['approved', 'revoked'] });
    const request = requests.find((candidate) => candidate.clientCertificateId === certificate.id);
    if (request === undefined) return undefined;
    const developer = await store.getPortalDeveloper(request.developerId);
    const app = await store.getPortalApp(request.developerId, request.appId);
    return {
      developer: { id: request.developerId, email: developer?.email ?? '' },
      app: { id: request.appId, name: app?.name ?? '' },
    };
  };
}
