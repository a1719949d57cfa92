/**
 * The dashboard's session endpoints, outside /client/v4 (they are not Cloudflare's):
 *   POST   /dashboard/api/session {token}  sign in with an API token; sets the session cookie
 *   GET    /dashboard/api/session          who is signed in, and the CSRF token for this session
 *   DELETE /dashboard/api/session          sign out (CSRF token required); clears the cookie
 * Answers are v4 envelopes. Wrong tokens are counted per client address (SignInThrottle).
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { GatewayError, GW_ERR_DASHBOARD_SESSION, GW_ERR_DASHBOARD_SIGNIN_THROTTLED } from '../../errors/index.ts';
import type { ApiTokenRecord } from '../../model/records.ts';
import { success } from '../envelope.ts';
import { tokenView } from '../routes/tokens.ts';
import type { DashboardSession, SessionSealer } from './session-seal.ts';
import { SESSION_COOKIE, sessionCookieOptions } from './session-cookie.ts';
import { checkCsrf, sessionOf, tokenOfSession, type SessionTokens } from './session-authentication.ts';
import type { SignInThrottle } from './sign-in-throttle.ts';

export const SESSION_PATH = '/dashboard/api/session';

export interface SessionRouteOptions {
  readonly sealer: SessionSealer;
  readonly tokens: SessionTokens & { authenticate(secret: string): Promise<ApiTokenRecord> };
  readonly throttle: SignInThrottle;
  readonly lifetimeMs: number;
}

function sessionView(token: ApiTokenRecord, session: DashboardSession): object {
  return {
    csrf_token: session.csrfToken,
    expires_on: new Date(session.expiresAtMs).toISOString(),
    token: tokenView(token),
  };
}

function clearSession(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRouteOptions> = (app, options) => {
  const { sealer, tokens, throttle, lifetimeMs } = options;

  app.post(
    SESSION_PATH,
    {
      schema: {
        hide: true,
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const address = request.ip;
      const waitMs = throttle.retryAfterMs(address);
      if (waitMs > 0) {
        const seconds = String(Math.ceil(waitMs / 1000));
        reply.header('retry-after', seconds);
        throw GW_ERR_DASHBOARD_SIGNIN_THROTTLED.create(seconds);
      }
      let token: ApiTokenRecord;
      try {
        token = await tokens.authenticate(request.body.token.trim());
      } catch (error) {
        if (error instanceof GatewayError) {
          throttle.failed(address);
          request.log.info({ address }, 'dashboard sign-in refused: invalid token');
        }
        throw error;
      }
      const { sealed, session } = sealer.create(token.id);
      reply.setCookie(SESSION_COOKIE, sealed, sessionCookieOptions(request, Math.floor(lifetimeMs / 1000)));
      request.log.info({ token: token.id, session: session.sessionId }, 'dashboard sign-in');
      return success(sessionView(token, session));
    },
  );

  app.get(SESSION_PATH, { schema: { hide: true } }, async (request, reply) => {
    const session = sessionOf(request, sealer);
    if (session === undefined) throw GW_ERR_DASHBOARD_SESSION.create();
    try {
      return success(sessionView(await tokenOfSession(tokens, session), session));
    } catch (error) {
      clearSession(reply);
      throw error;
    }
  });

  app.delete(SESSION_PATH, { schema: { hide: true } }, (request, reply) => {
    let session: DashboardSession | undefined;
    try {
      session = sessionOf(request, sealer);
    } catch {
      session = undefined; // an expired or foreign cookie: nothing to protect, just clear it
    }
    if (session !== undefined) checkCsrf(request, session);
    clearSession(reply);
    return Promise.resolve(success({ signed_out: true }));
  });
  return Promise.resolve();
};
