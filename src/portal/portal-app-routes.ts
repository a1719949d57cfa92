/**
 * What a signed-in developer works with (docs/adr/0017). Every handler names the developer of the
 * session and nothing else: ids in paths are looked up through that developer, so another
 * developer's app or request is 404 GW_ERR_PORTAL_NOT_FOUND, like one that does not exist.
 *
 *   GET  /api/products                           the published catalogue (with each product's APIs)
 *   GET  /api/apps, POST /api/apps {name,description?}
 *   GET  /api/apps/:id                           the app, its requests (keys, certificates, expiry),
 *                                                usage per day and the URL of each API the key may
 *                                                call (the page builds the example curl calls)
 *   POST /api/apps/:id/requests {product_id, credential}
 *   POST /api/requests/:id/rotate {credential, grace_days}
 *   POST /api/requests/:id/revoke                revoke one's own certificate (or withdraw a request)
 *   GET  /api/requests/:id/certificate           the certificate as a PEM file (never a private key)
 *   GET  /api/expiring                           approved certificates ending within 30 days
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { GW_ERR_PORTAL_NOT_FOUND } from '../errors/index.ts';
import type { PortalAccessService } from '../control/portal/portal-access-service.ts';
import { appUsage } from '../control/portal/portal-usage.ts';
import type { Store } from '../store/ports.ts';
import type { ApiDefinitionRecord } from '../model/records.ts';
import type { PortalAccessRequestRecord, PortalProductRecord } from '../model/portal-records.ts';
import { success } from '../admin-api/envelope.ts';
import { accessRequestView, appView } from '../admin-api/portal/portal-views.ts';
import { requireSession } from './portal-session.ts';
import { apiPublicUrl } from './api-public-url.ts';

export interface PortalAppRouteOptions {
  readonly access: PortalAccessService;
  readonly store: Store;
  /** The gateway's public URL (its port goes into the APIs' URLs). */
  readonly gatewayUrl: () => string;
}

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Credential = Type.Object(
  {
    kind: Type.String({ maxLength: 32 }),
    csr: Type.Optional(Type.String({ maxLength: 65_536 })),
    certificate: Type.Optional(Type.String({ maxLength: 65_536 })),
    bind_to: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { additionalProperties: false },
);
const USAGE_DAYS = 14;

function apiView(api: ApiDefinitionRecord, gatewayUrl: string): object {
  return {
    id: api.id,
    name: api.name,
    hostname: api.hostname,
    listen_path: api.listenPath,
    protocol: api.protocol,
    url: apiPublicUrl(api, gatewayUrl),
  };
}

function productView(product: PortalProductRecord, apis: ApiDefinitionRecord[], gatewayUrl: string): object {
  return {
    id: product.id,
    name: product.name,
    description: product.description,
    approval_mode: product.approvalMode,
    validity_days: product.validityDays,
    apis: apis.map((api) => apiView(api, gatewayUrl)),
  };
}

export const portalAppRoutes: FastifyPluginAsyncTypebox<PortalAppRouteOptions> = (app, options) => {
  const { access, store } = options;

  app.get('/api/products', async (request) => {
    requireSession(request);
    const products = await access.publishedProducts();
    return success(products.map(({ product, apis }) => productView(product, apis, options.gatewayUrl())));
  });

  app.get('/api/apps', async (request) => {
    const { developer } = requireSession(request);
    return success((await access.listApps(developer.id)).map(appView));
  });

  app.post(
    '/api/apps',
    {
      schema: {
        body: Type.Object(
          { name: Type.String({ maxLength: 1000 }), description: Type.Optional(Type.String({ maxLength: 4000 })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { developer } = requireSession(request);
      return success(appView(await access.createApp(developer.id, request.body)));
    },
  );

  app.get('/api/apps/:id', { schema: { params: Id } }, async (request) => {
    const { developer } = requireSession(request);
    const { app: owned, requests, products } = await access.appPage(developer.id, request.params.id);
    const approved = requests.filter((r) => r.status === 'approved' && r.keyId !== null);
    const usage = await appUsage(
      store,
      approved.map((r) => ({
        keyId: r.keyId ?? '',
        zoneIds: (products.get(r.productId)?.apis ?? []).map((api) => api.zoneId),
      })),
      USAGE_DAYS,
      new Date(),
    );
    const soon = Date.now() + 30 * 86_400_000;
    const gatewayUrl = options.gatewayUrl();
    return success({
      app: appView(owned),
      requests: requests.map((r: PortalAccessRequestRecord) => {
        const entry = products.get(r.productId);
        return {
          ...accessRequestView(r),
          product_name: entry?.product.name ?? '(deleted product)',
          expiring_soon: r.status === 'approved' && r.notAfter !== null && Date.parse(r.notAfter) <= soon,
          api_urls:
            r.status === 'approved' && entry !== undefined
              ? entry.apis.map((api) => apiPublicUrl(api, gatewayUrl))
              : [],
        };
      }),
      usage,
    });
  });

  app.post(
    '/api/apps/:id/requests',
    {
      schema: {
        params: Id,
        body: Type.Object(
          { product_id: Type.String({ maxLength: 64 }), credential: Credential },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { developer } = requireSession(request);
      return success(accessRequestView(await access.requestAccess(developer.id, request.params.id, request.body)));
    },
  );

  app.post(
    '/api/requests/:id/rotate',
    {
      schema: {
        params: Id,
        body: Type.Object(
          { credential: Credential, grace_days: Type.Optional(Type.Integer()) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { developer } = requireSession(request);
      return success(accessRequestView(await access.rotate(developer.id, request.params.id, request.body)));
    },
  );

  app.post('/api/requests/:id/revoke', { schema: { params: Id } }, async (request) => {
    const { developer } = requireSession(request);
    return success(accessRequestView(await access.revokeOwn(developer.id, request.params.id)));
  });

  app.get('/api/requests/:id/certificate', { schema: { params: Id } }, async (request, reply) => {
    const { developer } = requireSession(request);
    const found = await access.request(developer.id, request.params.id);
    if (found.certificatePem === null) throw GW_ERR_PORTAL_NOT_FOUND.create('certificate (not issued yet)');
    return reply
      .type('application/x-pem-file')
      .header('content-disposition', `attachment; filename="certificate-${found.id.slice(0, 8)}.pem"`)
      .send(found.certificatePem);
  });

  app.get('/api/expiring', async (request) => {
    const { developer } = requireSession(request);
    return success((await access.expiringSoon(developer.id)).map(accessRequestView));
  });
  return Promise.resolve();
};
