/**
 * The operator's side of the developer portal on the management API (/client/v4/portal/…), for the
 * CLI, the dashboard and scripts (docs/adr/0017):
 *
 *   GET/POST /portal/products, GET/PATCH/DELETE /portal/products/:id     the catalogue (account-scoped)
 *   GET/PUT  /portal/settings {signup_mode: open|approval|invite}          (operator token)
 *   GET /portal/developers, GET/PATCH /portal/developers/:id {status}     (operator token)
 *   POST /portal/invitations {email?, expires_in_days?}                   an invitation link, shown once
 *   POST /portal/developers/:id/password_reset {expires_in_days?}         a reset link, shown once
 *   GET /portal/access_requests?status=, GET …/:id, POST …/:id/approve|reject {message?}, POST …/:id/revoke
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ACCESS_REQUEST_STATUSES } from '../../model/portal-records.ts';
import type { CreatedLink } from '../../control/portal/portal-developer-service.ts';
import { principalOf } from '../authentication.ts';
import { success } from '../envelope.ts';
import { singlePageInfo } from '../pagination.ts';
import type { AdminServices } from '../services.ts';
import { accessRequestView, developerView, productView } from './portal-views.ts';

export interface PortalAdminRouteOptions {
  readonly services: AdminServices;
  /** The portal's base URL (https://host:port), for links; undefined when the portal is off. */
  readonly portalUrl: () => string | undefined;
}

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const ProductBody = Type.Object(
  {
    account_id: Type.Optional(Type.String({ maxLength: 64 })),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    api_ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
    policy_id: Type.Optional(Type.String({ maxLength: 64 })),
    approval_mode: Type.Optional(Type.String({ maxLength: 32 })),
    published: Type.Optional(Type.Boolean()),
    validity_days: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);
const MessageBody = Type.Optional(
  Type.Object({ message: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
);

/** A body is optional on these routes: no body at all (undefined) reads as {}. */
interface OptionalBody {
  message?: string;
  email?: string;
  expires_in_days?: number;
}

function bodyOf(body: unknown): OptionalBody {
  return body ?? {};
}

function linkView(created: CreatedLink, portalUrl: string | undefined): object {
  const path = `/#/${created.link.kind === 'invite' ? 'invitation' : 'reset'}/${created.secret}`;
  return {
    id: created.link.id,
    kind: created.link.kind,
    email: created.link.email,
    expires_on: created.link.expiresOn,
    secret: created.secret,
    url: portalUrl === undefined ? null : portalUrl + path,
    path,
  };
}

export const portalAdminRoutes: FastifyPluginAsyncTypebox<PortalAdminRouteOptions> = (app, options) => {
  const { products, developers, access } = options.services.portal;

  app.get('/portal/products', async (request) => {
    const list = await products.list(principalOf(request));
    return success(list.map(productView), singlePageInfo(list.length));
  });
  app.post('/portal/products', { schema: { body: ProductBody } }, async (request) =>
    success(productView(await products.create(principalOf(request), request.body))),
  );
  app.get('/portal/products/:id', { schema: { params: Id } }, async (request) =>
    success(productView(await products.get(principalOf(request), request.params.id))),
  );
  app.patch('/portal/products/:id', { schema: { params: Id, body: ProductBody } }, async (request) =>
    success(productView(await products.update(principalOf(request), request.params.id, request.body))),
  );
  app.delete('/portal/products/:id', { schema: { params: Id } }, async (request) => {
    const deleted = await products.delete(principalOf(request), request.params.id);
    return success({ id: deleted.id });
  });

  app.get('/portal/settings', async (request) => {
    principalOf(request);
    return success({ signup_mode: await developers.signupMode(), portal_url: options.portalUrl() ?? null });
  });
  app.put(
    '/portal/settings',
    { schema: { body: Type.Object({ signup_mode: Type.String({ maxLength: 32 }) }, { additionalProperties: false }) } },
    async (request) =>
      success({
        signup_mode: await developers.setSignupMode(principalOf(request), request.body.signup_mode),
        portal_url: options.portalUrl() ?? null,
      }),
  );

  app.get('/portal/developers', async (request) => {
    const list = await developers.list(principalOf(request));
    return success(list.map(developerView), singlePageInfo(list.length));
  });
  app.get('/portal/developers/:id', { schema: { params: Id } }, async (request) =>
    success(developerView(await developers.get(principalOf(request), request.params.id))),
  );
  app.patch(
    '/portal/developers/:id',
    {
      schema: {
        params: Id,
        body: Type.Object({ status: Type.String({ maxLength: 32 }) }, { additionalProperties: false }),
      },
    },
    async (request) =>
      success(developerView(await developers.setStatus(principalOf(request), request.params.id, request.body.status))),
  );
  app.post(
    '/portal/invitations',
    {
      schema: {
        body: Type.Optional(
          Type.Object(
            { email: Type.Optional(Type.String({ maxLength: 300 })), expires_in_days: Type.Optional(Type.Integer()) },
            { additionalProperties: false },
          ),
        ),
      },
    },
    async (request) =>
      success(
        linkView(await developers.createInvitation(principalOf(request), bodyOf(request.body)), options.portalUrl()),
      ),
  );
  app.post(
    '/portal/developers/:id/password_reset',
    {
      schema: {
        params: Id,
        body: Type.Optional(
          Type.Object({ expires_in_days: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
        ),
      },
    },
    async (request) =>
      success(
        linkView(
          await developers.createPasswordReset(principalOf(request), request.params.id, bodyOf(request.body)),
          options.portalUrl(),
        ),
      ),
  );

  app.get(
    '/portal/access_requests',
    {
      schema: {
        querystring: Type.Object({
          status: Type.Optional(Type.Union(ACCESS_REQUEST_STATUSES.map((s) => Type.Literal(s)))),
        }),
      },
    },
    async (request) => {
      const list = await access.listForOperator(principalOf(request), request.query.status);
      return success(list.map(accessRequestView), singlePageInfo(list.length));
    },
  );
  app.get('/portal/access_requests/:id', { schema: { params: Id } }, async (request) =>
    success(accessRequestView(await access.getForOperator(principalOf(request), request.params.id))),
  );
  app.post('/portal/access_requests/:id/approve', { schema: { params: Id, body: MessageBody } }, async (request) =>
    success(
      accessRequestView(await access.approve(principalOf(request), request.params.id, bodyOf(request.body).message)),
    ),
  );
  app.post('/portal/access_requests/:id/reject', { schema: { params: Id, body: MessageBody } }, async (request) =>
    success(
      accessRequestView(await access.reject(principalOf(request), request.params.id, bodyOf(request.body).message)),
    ),
  );
  app.post('/portal/access_requests/:id/revoke', { schema: { params: Id } }, async (request) =>
    success(accessRequestView(await access.revokeForOperator(principalOf(request), request.params.id))),
  );
  return Promise.resolve();
};
