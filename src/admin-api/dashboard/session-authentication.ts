/**
 * Requests to the management API (/client/v4) that carry a dashboard session cookie and no
 * Authorization header are authenticated by the session: its token is looked up by id on every
 * request (a revoked token ends its sessions at once) and becomes the request's principal, with
 * exactly that token's permissions. A state-changing request must also carry the session's CSRF
 * token in X-CSRF-Token (docs/adr/0013). Requests with a Bearer token are left to
 * admin-api/authentication.ts unchanged, cookie or not: the CLI and SDKs see no difference.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError, GW_ERR_DASHBOARD_CSRF, GW_ERR_DASHBOARD_SESSION } from '../../errors/index.ts';
import type { ApiTokenRecord } from '../../model/records.ts';
import type { DashboardSession, SessionSealer } from './session-seal.ts';
import { CSRF_HEADER, SESSION_COOKIE } from './session-cookie.ts';

/** RFC 9110 §9.2.1: the methods that change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface SessionTokens {
  authenticateId(id: string): Promise<ApiTokenRecord>;
}

/** The session a request's cookie holds, if any; throws when a cookie is there but is no (longer a) session. */
export function sessionOf(request: FastifyRequest, sealer: SessionSealer): DashboardSession | undefined {
  const sealed = request.cookies[SESSION_COOKIE];
  if (sealed === undefined || sealed === '') return undefined;
  const session = sealer.open(sealed);
  if (session === undefined) throw GW_ERR_DASHBOARD_SESSION.create();
  return session;
}

/** Throws unless the request is safe or carries the session's CSRF token. */
export function checkCsrf(request: FastifyRequest, session: DashboardSession): void {
  if (SAFE_METHODS.has(request.method)) return;
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameText(sent, session.csrfToken)) throw GW_ERR_DASHBOARD_CSRF.create();
}

/** The token behind a session, or GW_ERR_DASHBOARD_SESSION when it is no longer usable. */
export async function tokenOfSession(tokens: SessionTokens, session: DashboardSession): Promise<ApiTokenRecord> {
  try {
    return await tokens.authenticateId(session.tokenId);
  } catch (error) {
    if (error instanceof GatewayError) throw GW_ERR_DASHBOARD_SESSION.create();
    throw error;
  }
}

export function sessionAuthenticationHook(
  apiPrefix: string,
  sealer: SessionSealer,
  tokens: SessionTokens,
): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (request.headers.authorization !== undefined) return;
    if (!request.url.startsWith(apiPrefix + '/')) return;
    const session = sessionOf(request, sealer);
    if (session === undefined) return;
    checkCsrf(request, session);
    request.principal = await tokenOfSession(tokens, session);
  };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
