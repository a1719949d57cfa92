/**
 * The operator dashboard on the admin listener (docs/adr/0013): the built single-page app
 * (web/ → dist/web) at /dashboard/, its session endpoints, and session authentication of the
 * management API for the dashboard's own calls. Everything under /dashboard gets the security
 * headers (security-headers.ts); the app itself only calls /client/v4, like any other client.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { AdminApp } from '../admin-app.ts';
import { DASHBOARD_SECURITY_HEADERS } from './security-headers.ts';
import { SessionSealer } from './session-seal.ts';
import { sessionAuthenticationHook } from './session-authentication.ts';
import { sessionRoutes, type SessionRouteOptions } from './session-routes.ts';
import { SignInThrottle } from './sign-in-throttle.ts';
import { findWebRoot } from './web-root.ts';

export const DASHBOARD_PATH = '/dashboard/';
export const DEFAULT_SESSION_LIFETIME_MS = 8 * 3_600_000; // 8 hours: a working day, then sign in again
/** Wrong tokens allowed per client address and window: enough for typos, far too few for guessing. */
export const DEFAULT_SIGN_IN_FAILURES = 5;
export const DEFAULT_SIGN_IN_WINDOW_MS = 5 * 60_000; // 5 minutes

export interface DashboardOptions {
  /** Seals session cookies: derive it from the master key (deriveSessionKey) so every node shares it. */
  readonly sessionKey: Uint8Array;
  /** The built app; default: found beside the server (web-root.ts). */
  readonly webRoot?: string | undefined;
  readonly sessionLifetimeMs?: number;
  readonly signInFailures?: number;
  readonly signInWindowMs?: number;
}

/** Assets are named by their content hash (Vite): cached for good. index.html: always asked again. */
function cacheHeaders(reply: FastifyReply, filePath: string): void {
  const immutable = /[\\/]assets[\\/]/.test(filePath);
  reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-store');
}

export async function installDashboard(
  app: AdminApp,
  tokens: SessionRouteOptions['tokens'],
  options: DashboardOptions,
  apiPrefix: string,
): Promise<void> {
  const lifetimeMs = options.sessionLifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS;
  const sealer = new SessionSealer(options.sessionKey, lifetimeMs);
  const throttle = new SignInThrottle({
    maxFailures: options.signInFailures ?? DEFAULT_SIGN_IN_FAILURES,
    windowMs: options.signInWindowMs ?? DEFAULT_SIGN_IN_WINDOW_MS,
  });
  await app.register(fastifyCookie);
  app.addHook('onRequest', sessionAuthenticationHook(apiPrefix, sealer, tokens));
  const webRoot = options.webRoot ?? findWebRoot();
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      for (const [name, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) reply.header(name, value);
      return payload;
    });
    await scope.register(sessionRoutes, { sealer, tokens, throttle, lifetimeMs });
    scope.get(DASHBOARD_PATH.slice(0, -1), { schema: { hide: true } }, async (_request, reply) =>
      reply.redirect(DASHBOARD_PATH, 301),
    );
    if (webRoot === undefined) {
      app.log.warn('the dashboard is not built (npm run build): /dashboard/ answers 503');
      scope.get(DASHBOARD_PATH, { schema: { hide: true } }, async (_request, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The dashboard is not built: run npm run build, then restart.\n'),
      );
      return;
    }
    await scope.register(fastifyStatic, {
      root: webRoot,
      prefix: DASHBOARD_PATH,
      index: 'index.html',
      cacheControl: false,
      setHeaders: cacheHeaders,
      serveDotFiles: false,
    });
  });
}
