/**
 * An expiring certificate in the wire form (snake_case) that both the API's list
 * (`/accounts/{account_id}/gateway/expiring_certificates`, which the dashboard shows) and the expiry
 * webhook's body carry, so the two never drift apart. Each adds its own fields around it: the list
 * `expired`, the webhook `event` and `timestamp`.
 */
import type { ExpiringCertificate } from './certificate-expiry-service.ts';
import { renewalWire } from './renewal-status.ts';

/** The certificate's fields, in the order both bodies show them. */
export function expiringCertificateFields(certificate: ExpiringCertificate): Record<string, unknown> {
  return {
    kind: certificate.kind,
    id: certificate.id,
    account_id: certificate.accountId,
    zone_id: certificate.zoneId,
    name: certificate.name,
    issuer: certificate.issuer,
    serial_number: certificate.serialNumber,
    expires_on: certificate.expiresOn,
    days_remaining: certificate.daysRemaining,
  };
}

/** A client certificate's renewal (an EST device's, or null); nothing for the other kinds. */
export function renewalFields(certificate: ExpiringCertificate): Record<string, unknown> {
  return certificate.kind === 'client' ? { renewal: renewalWire(certificate.renewal) } : {};
}
