/**
 * Certificates of an account that expire soon (our own resource, in the v4 envelope):
 *   GET /accounts/:account_id/gateway/expiring_certificates?within_days=30
 *     → [{ kind, id, account_id, zone_id, name, issuer, serial_number, expires_on, days_remaining, expired,
 *          renewal (client certificates: null, or an EST device's { profile_id, renew_by, overdue, replaced_by }) }]
 * Soonest first; expired certificates are listed for as long again (control/telemetry/certificate-expiry-service.ts).
 * Account read access.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HEX_ID_PATTERN } from '../../control/ids.ts';
import {
  DEFAULT_EXPIRY_WINDOW_DAYS,
  MAX_EXPIRY_WINDOW_DAYS,
  type CertificateExpiryService,
  type ExpiringCertificate,
} from '../../control/telemetry/certificate-expiry-service.ts';
import { expiringCertificateFields, renewalFields } from '../../control/telemetry/expiring-certificate-wire.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { singlePageInfo } from '../pagination.ts';

export function expiringCertificateView(certificate: ExpiringCertificate): object {
  return {
    ...expiringCertificateFields(certificate),
    expired: certificate.expired,
    ...renewalFields(certificate),
  };
}

export const expiringCertificateRoutes: FastifyPluginAsyncTypebox<{ expiries: CertificateExpiryService }> = (
  app,
  { expiries },
) => {
  app.get(
    '/accounts/:account_id/gateway/expiring_certificates',
    {
      schema: {
        tags: ['gateway_certificate_expiry'],
        params: Type.Object({ account_id: Type.String({ pattern: HEX_ID_PATTERN }) }),
        querystring: Type.Object({
          within_days: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: MAX_EXPIRY_WINDOW_DAYS,
              description: `Days ahead (and back, for expired ones); default ${DEFAULT_EXPIRY_WINDOW_DAYS}`,
            }),
          ),
        }),
      },
    },
    async (request) => {
      const withinDays = request.query.within_days ?? DEFAULT_EXPIRY_WINDOW_DAYS;
      const list = await expiries.list(principalOf(request), request.params.account_id, withinDays);
      return success(list.map(expiringCertificateView), singlePageInfo(list.length));
    },
  );
  return Promise.resolve();
};
