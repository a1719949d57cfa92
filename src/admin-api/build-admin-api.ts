/**
 * The management API: Cloudflare-v4-compatible REST under /client/v4 (fastify + TypeBox schemas,
 * OpenAPI generated from the same schemas at /client/v4/openapi.json).
 */
import type { ChangeKind } from './change-kind.ts';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { installAuthentication, type Authenticator } from './authentication.ts';
import { installErrorHandling } from './error-handler.ts';
import { installChangeAnnouncement } from './change-announcement.ts';
import { accountsAndZonesRoutes } from './routes/accounts-and-zones.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { mtlsCertificateRoutes } from './routes/mtls-certificates.ts';
import { caRevocationRoutes } from './routes/ca-revocation.ts';
import { clientCertificateRoutes } from './routes/client-certificates.ts';
import { estRoutes } from './routes/est.ts';
import { hostnameAssociationRoutes } from './routes/hostname-associations.ts';
import { customCertificateRoutes } from './routes/custom-certificates.ts';
import { rulesetRoutes } from './routes/rulesets.ts';
import type { RuleHitStore } from '../runtime-config/rule-hits.ts';
import { RuleHitCounters } from '../store/counters/memory-rule-hits.ts';
import { gatewayRouteRoutes } from './routes/gateway-routes.ts';
import { managedHeaderRoutes } from './routes/managed-headers.ts';
import { sanPolicyRoutes } from './routes/san-policy.ts';
import { gatewayApiRoutes } from './routes/gateway-apis.ts';
import { gatewayKeyRoutes } from './routes/gateway-keys.ts';
import { gatewayPolicyRoutes } from './routes/gateway-policies.ts';
import type { AdminServices } from './services.ts';
import { gatewayAnalyticsRoutes } from './routes/gateway-analytics.ts';
import { expiringCertificateRoutes } from './routes/expiring-certificates.ts';
import { METRICS_PATH, metricsRoute, type MetricsSource } from './routes/metrics.ts';
import { HEALTHZ_PATH, READYZ_PATH, healthRoutes, type HealthSource } from './routes/health.ts';
import type { AnalyticsService } from '../control/telemetry/analytics-service.ts';
import type { CertificateExpiryService } from '../control/telemetry/certificate-expiry-service.ts';
import { DASHBOARD_PATH, installDashboard, type DashboardOptions } from './dashboard/dashboard-plugin.ts';

import type { AdminApp } from './admin-app.ts';

export type { AdminApp } from './admin-app.ts';

export const API_PREFIX = '/client/v4';
export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;

export interface AdminApiOptions {
  readonly services: AdminServices;
  readonly logger: Logger;
  /** Largest accepted request body. */
  readonly bodyLimitBytes?: number;
  /**
   * Called after every successful change (a non-GET answered below 400), and awaited before the
   * answer is sent, so that what a client changed is in force when it reads the response; `kind`
   * as the route declares it (change-kind.ts).
   */
  readonly onChange?: (kind: ChangeKind) => Promise<void>;
  /** The data plane's rule hit counters, read by `GET /zones/:zone_id/gateway/rule_hits` (absent: a fresh set). */
  readonly ruleHits?: RuleHitStore;
  /** Observability, each absent → its routes are not registered: analytics queries, */
  readonly analytics?: AnalyticsService;
  /** the expiring certificates report, */
  readonly certificateExpiry?: CertificateExpiryService;
  /** and `GET /metrics` (outside /client/v4, no token: see routes/metrics.ts). */
  readonly metrics?: MetricsSource;
  /** `GET /healthz` and `GET /readyz` (outside /client/v4, no token: see routes/health.ts). */
  readonly health?: HealthSource;
  /** The operator dashboard at /dashboard/ (absent: not served). */
  readonly dashboard?: DashboardOptions;
  /** Route plugins of areas wired by the composition root (the developer portal's operator routes). */
  readonly plugins?: readonly ((app: AdminApp, services: AdminServices) => Promise<void>)[];
}

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024; // 1 MiB: a CA bundle or a CSR is a few KiB

export async function buildAdminApi(options: AdminApiOptions): Promise<AdminApp> {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const app = Fastify({
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- pino's Logger differs from FastifyBaseLogger in its generics
    loggerInstance: options.logger.child({ component: 'admin-api' }) as FastifyBaseLogger,
    // One line per request would drown the log; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandling(app, `${bodyLimit} bytes`);
  // DELETE and PATCH may arrive with `Content-Type: application/json` and no body (older clients):
  // an empty JSON body is "no body", not an error (cloudflare-compatibility.md §1.6).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, body: string, done) => {
    if (body.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(body));
    } catch {
      const error = Object.assign(new Error('invalid JSON'), {
        code: 'FST_ERR_CTP_INVALID_JSON_BODY',
        statusCode: 400,
      });
      done(error, undefined);
    }
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Portcullis management API', version: '0.1.0', description: 'Cloudflare v4 compatible' },
      servers: [{ url: API_PREFIX }],
      components: { securitySchemes: { api_token: { type: 'http', scheme: 'bearer' } } },
      security: [{ api_token: [] }],
    },
  });
  installChangeAnnouncement(app, options.onChange);
  const { metrics, health } = options;
  const publicPaths = [OPENAPI_PATH];
  if (metrics !== undefined) publicPaths.push(METRICS_PATH);
  if (health !== undefined) publicPaths.push(HEALTHZ_PATH, READYZ_PATH);
  // Before the Bearer check: a dashboard session cookie authenticates the dashboard's own API calls.
  if (options.dashboard !== undefined)
    await installDashboard(app, options.services.tokens, options.dashboard, API_PREFIX);
  installAuthentication(
    app,
    options.services.tokens satisfies Authenticator,
    new Set(publicPaths),
    options.dashboard === undefined ? [] : [DASHBOARD_PATH],
  );
  if (metrics !== undefined) metricsRoute(app, metrics);
  if (health !== undefined) healthRoutes(app, health);
  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, () => Promise.resolve(app.swagger()));
      await api.register(accountsAndZonesRoutes, { services: options.services });
      await api.register(tokenRoutes, { services: options.services });
      await api.register(mtlsCertificateRoutes, { services: options.services });
      await api.register(caRevocationRoutes, { services: options.services });
      await api.register(clientCertificateRoutes, { services: options.services });
      await api.register(estRoutes, { services: options.services });
      await api.register(hostnameAssociationRoutes, { services: options.services });
      await api.register(customCertificateRoutes, { services: options.services });
      await api.register(rulesetRoutes, {
        services: options.services,
        ruleHits: options.ruleHits ?? new RuleHitCounters(),
      });
      await api.register(gatewayRouteRoutes, { services: options.services });
      await api.register(managedHeaderRoutes, { services: options.services });
      await api.register(sanPolicyRoutes, { services: options.services });
      await api.register(gatewayApiRoutes, { services: options.services });
      await api.register(gatewayKeyRoutes, { services: options.services });
      await api.register(gatewayPolicyRoutes, { services: options.services });
      if (options.analytics !== undefined) await api.register(gatewayAnalyticsRoutes, { analytics: options.analytics });
      if (options.certificateExpiry !== undefined)
        await api.register(expiringCertificateRoutes, { expiries: options.certificateExpiry });
      for (const plugin of options.plugins ?? []) await plugin(api, options.services);
    },
    { prefix: API_PREFIX },
  );
  return app;
}
