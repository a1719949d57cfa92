/**
 * Bearer-token authentication (cloudflare-compatibility.md §2.1): every /client/v4 route except the OpenAPI document
 * needs `Authorization: Bearer <token>`. The resolved token becomes `request.principal`; what it
 * may do is decided by the use cases (control/access-policy.ts).
 */
import type { FastifyRequest } from 'fastify';
import type { AdminApp } from './admin-app.ts';
import { GW_ERR_AUTH_INVALID, GW_ERR_AUTH_MISSING } from '../errors/index.ts';
import type { ApiTokenRecord } from '../model/records.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiTokenRecord | null;
  }
}

export interface Authenticator {
  authenticate(secret: string): Promise<ApiTokenRecord>;
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]{1,512})$/;

/**
 * `publicPrefixes` (e.g. `/dashboard/`): paths under them, and the prefix without its slash, need no
 * token. A principal already set by an earlier hook (a dashboard session,
 * admin-api/dashboard/session-authentication.ts) is kept.
 */
export function installAuthentication(
  app: AdminApp,
  authenticator: Authenticator,
  publicPaths: ReadonlySet<string>,
  publicPrefixes: readonly string[] = [],
): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.principal !== null) return;
    const path = request.url.split('?', 1)[0] ?? '';
    if (publicPaths.has(path)) return;
    if (publicPrefixes.some((prefix) => path.startsWith(prefix) || path === prefix.slice(0, -1))) return;
    const header = request.headers.authorization;
    if (header === undefined || header === '') throw GW_ERR_AUTH_MISSING.create();
    const match = BEARER.exec(header);
    if (match?.[1] === undefined) throw GW_ERR_AUTH_INVALID.create();
    request.principal = await authenticator.authenticate(match[1]);
  });
}

/** The principal of an authenticated request (routes run only after the hook). */
export function principalOf(request: FastifyRequest): ApiTokenRecord {
  if (request.principal === null) throw GW_ERR_AUTH_MISSING.create();
  return request.principal;
}
