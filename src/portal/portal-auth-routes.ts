/**
 * The portal's account endpoints (docs/adr/0017), JSON in v4 envelopes:
 *   GET    /api/session                 who is signed in, and the CSRF token of the session
 *   POST   /api/session {email,password} sign in (rate-limited per account and per address)
 *   DELETE /api/session                 sign out
 *   GET    /api/signup                  the sign-up mode
 *   POST   /api/signup {email,password,name?,invitation?}  sign up (signed in at once when active)
 *   GET    /api/links/:secret           what an invitation or reset link is for
 *   POST   /api/password_reset {secret,password}
 *   POST   /api/password {current_password,new_password}   (signed in; other sessions end)
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  GatewayError,
  GW_ERR_PORTAL_SIGNIN_FAILED,
  GW_ERR_PORTAL_SIGNIN_LOCKED,
  GW_ERR_PORTAL_SIGNUP_THROTTLED,
} from '../errors/index.ts';
import type { PortalDeveloperService } from '../control/portal/portal-developer-service.ts';
import type { PortalDeveloperRecord } from '../model/portal-records.ts';
import type { SessionSealer, DashboardSession } from '../admin-api/dashboard/session-seal.ts';
import type { SignInThrottle } from '../admin-api/dashboard/sign-in-throttle.ts';
import { success } from '../admin-api/envelope.ts';
import { developerView } from '../admin-api/portal/portal-views.ts';
import { checkCsrf, clearSessionCookie, requireSession, setSessionCookie } from './portal-session.ts';

export interface PortalAuthOptions {
  readonly developers: PortalDeveloperService;
  readonly sealer: SessionSealer;
  readonly lifetimeMs: number;
  /** Failed sign-ins per account (email) and per client address. */
  readonly accountThrottle: SignInThrottle;
  readonly addressThrottle: SignInThrottle;
  /** Sign-up attempts per client address (each one costs a password hash). */
  readonly signupThrottle: SignInThrottle;
}

const Credentials = Type.Object(
  { email: Type.String({ maxLength: 320 }), password: Type.String({ maxLength: 4096 }) },
  { additionalProperties: false },
);

function sessionView(developer: PortalDeveloperRecord, session: DashboardSession): object {
  return {
    developer: developerView(developer),
    csrf_token: session.csrfToken,
    expires_on: new Date(session.expiresAtMs).toISOString(),
  };
}

export const portalAuthRoutes: FastifyPluginAsyncTypebox<PortalAuthOptions> = (app, options) => {
  const { developers, sealer, lifetimeMs, accountThrottle, addressThrottle, signupThrottle } = options;

  const signIn = (reply: FastifyReply, developer: PortalDeveloperRecord): object => {
    const { sealed, session } = sealer.create(developer.id);
    setSessionCookie(reply, sealed, lifetimeMs);
    return sessionView(developer, session);
  };

  const refuseWhileLocked = (request: FastifyRequest, reply: FastifyReply, email: string): void => {
    const waitMs = Math.max(accountThrottle.retryAfterMs(email), addressThrottle.retryAfterMs(request.ip));
    if (waitMs === 0) return;
    const seconds = String(Math.ceil(waitMs / 1000));
    reply.header('retry-after', seconds);
    throw GW_ERR_PORTAL_SIGNIN_LOCKED.create(seconds);
  };

  app.get('/api/session', async (request) => {
    const { developer, session } = requireSession(request);
    return Promise.resolve(success(sessionView(developer, session)));
  });

  app.post('/api/session', { schema: { body: Credentials } }, async (request, reply) => {
    const email = request.body.email.trim().toLowerCase();
    refuseWhileLocked(request, reply, email);
    let developer: PortalDeveloperRecord;
    try {
      developer = await developers.signIn(email, request.body.password);
    } catch (error) {
      if (error instanceof GatewayError && error.code === GW_ERR_PORTAL_SIGNIN_FAILED.code) {
        accountThrottle.failed(email);
        addressThrottle.failed(request.ip);
        request.log.info({ address: request.ip }, 'portal sign-in refused: wrong email or password');
      }
      throw error;
    }
    request.log.info({ developer: developer.id }, 'portal sign-in');
    return success(signIn(reply, developer));
  });

  app.delete('/api/session', (request, reply) => {
    // Signing out needs the CSRF token of a live session; an expired or foreign cookie is just cleared.
    if (request.portalSession !== null) checkCsrf(request, request.portalSession.session);
    clearSessionCookie(reply);
    return Promise.resolve(success({ signed_out: true }));
  });

  app.get('/api/signup', async () => success({ signup_mode: await developers.signupMode() }));

  app.post(
    '/api/signup',
    {
      schema: {
        body: Type.Object(
          {
            email: Type.String({ maxLength: 320 }),
            password: Type.String({ maxLength: 4096 }),
            name: Type.Optional(Type.String({ maxLength: 300 })),
            invitation: Type.Optional(Type.String({ maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const waitMs = signupThrottle.retryAfterMs(request.ip);
      if (waitMs > 0) {
        const seconds = String(Math.ceil(waitMs / 1000));
        reply.header('retry-after', seconds);
        throw GW_ERR_PORTAL_SIGNUP_THROTTLED.create(seconds);
      }
      signupThrottle.failed(request.ip); // every attempt counts: each one costs a password hash
      const developer = await developers.signUp(request.body);
      request.log.info({ developer: developer.id, status: developer.status }, 'portal sign-up');
      if (developer.status !== 'active') return success({ developer: developerView(developer) });
      return success(signIn(reply, developer));
    },
  );

  app.get(
    '/api/links/:secret',
    { schema: { params: Type.Object({ secret: Type.String({ maxLength: 100 }) }) } },
    async (request) => success(await developers.describeLink(request.params.secret)),
  );

  app.post(
    '/api/password_reset',
    {
      schema: {
        body: Type.Object(
          { secret: Type.String({ maxLength: 100 }), password: Type.String({ maxLength: 4096 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const developer = await developers.resetPassword(request.body.secret, request.body.password);
      clearSessionCookie(reply);
      return success({ developer: developerView(developer) });
    },
  );

  app.post(
    '/api/password',
    {
      schema: {
        body: Type.Object(
          { current_password: Type.String({ maxLength: 4096 }), new_password: Type.String({ maxLength: 4096 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const { developer } = requireSession(request);
      const changed = await developers.changePassword(
        developer.id,
        request.body.current_password,
        request.body.new_password,
      );
      // Every other session of this developer ends (they were issued before the change); this one goes on.
      return success(signIn(reply, changed));
    },
  );
  return Promise.resolve();
};
