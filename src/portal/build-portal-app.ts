/**
 * The developer portal's listener (docs/adr/0017): its own TLS listener (`--portal-listen`, off by
 * default), never the admin listener. It serves the built portal pages (web/portal.html →
 * dist/portal-web) and the portal's JSON API under /api/, and nothing of the management API: a
 * developer's session reaches only what portal-app-routes.ts offers, always through its developer.
 */
import { createServer as createHttpsServer } from 'node:https';
import type { SniCallback } from './portal-sni.ts';
import type { Server } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { AdminApp } from '../admin-api/build-admin-api.ts';
import { installErrorHandling } from '../admin-api/error-handler.ts';
import { DASHBOARD_SECURITY_HEADERS } from '../admin-api/dashboard/security-headers.ts';
import { SignInThrottle } from '../admin-api/dashboard/sign-in-throttle.ts';
import type { PortalServices } from '../control/portal/build-portal-services.ts';
import type { Store } from '../store/ports.ts';
import { portalAppRoutes } from './portal-app-routes.ts';
import { portalAuthRoutes } from './portal-auth-routes.ts';
import { checkOrigin, openSession, PORTAL_SESSION_LIFETIME_MS, portalSealer } from './portal-session.ts';
import { findPortalWebRoot } from './portal-web-root.ts';

/** A CSR or a certificate is a few KiB: anything over 64 KiB is refused before it is read. */
export const PORTAL_BODY_LIMIT_BYTES = 64 * 1024;
/** Wrong passwords per account before sign-in to it is locked for the window, a right password included. */
export const ACCOUNT_SIGN_IN_FAILURES = 10;
/** Wrong passwords per client address (any accounts) before that address is locked for the window. */
export const ADDRESS_SIGN_IN_FAILURES = 30;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;
/** Sign-up attempts per client address and window: each costs a password hash (memory, CPU). */
export const ADDRESS_SIGN_UPS = 100;

export interface PortalAppOptions {
  readonly services: PortalServices;
  readonly store: Store;
  readonly masterKey: Uint8Array;
  readonly tls: { certPem: string; keyPem: string };
  /** Picks another certificate by SNI (portal-sni.ts); without it, `tls` for every connection. */
  readonly sniCallback?: SniCallback | undefined;
  readonly logger: Logger;
  readonly gatewayUrl: () => string;
  /** Awaited after every successful change, before the answer: a new key is in force when the page reads it. */
  readonly onChange?: () => Promise<void>;
  readonly webRoot?: string | undefined;
}

export async function buildPortalApp(options: PortalAppOptions): Promise<AdminApp> {
  const tls = options.tls;
  const app = Fastify({
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- pino's Logger differs from FastifyBaseLogger in its generics
    loggerInstance: options.logger.child({ component: 'portal' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: PORTAL_BODY_LIMIT_BYTES,
    // Fastify's handler on an HTTPS server: the portal is TLS only (its cookies are Secure).
    serverFactory: (handler) =>
      createHttpsServer(
        {
          cert: tls.certPem,
          key: tls.keyPem,
          minVersion: 'TLSv1.2',
          ...(options.sniCallback === undefined ? {} : { SNICallback: options.sniCallback }),
        },
        handler,
      ) as unknown as Server,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as AdminApp;
  installErrorHandling(app, `${PORTAL_BODY_LIMIT_BYTES / 1024} KiB`);
  await app.register(fastifyCookie);

  const { developers, access } = options.services;
  const sealer = portalSealer(options.masterKey);
  app.decorateRequest('portalSession', null);
  app.addHook('onRequest', async (request) => {
    checkOrigin(request);
    if (!request.url.startsWith('/api/')) return;
    const session = openSession(request, sealer);
    if (session === undefined) return;
    const developer = await developers.sessionDeveloper(session.tokenId, session.issuedAtMs);
    if (developer !== undefined) request.portalSession = { session, developer };
  });
  app.addHook('onSend', async (request, reply, payload) => {
    for (const [name, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) reply.header(name, value);
    reply.header('strict-transport-security', 'max-age=31536000');
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    const changed = request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400;
    if (changed && options.onChange !== undefined) await options.onChange();
    return payload;
  });

  await app.register(portalAuthRoutes, {
    developers,
    sealer,
    lifetimeMs: PORTAL_SESSION_LIFETIME_MS,
    accountThrottle: new SignInThrottle({ maxFailures: ACCOUNT_SIGN_IN_FAILURES, windowMs: SIGN_IN_WINDOW_MS }),
    addressThrottle: new SignInThrottle({ maxFailures: ADDRESS_SIGN_IN_FAILURES, windowMs: SIGN_IN_WINDOW_MS }),
    signupThrottle: new SignInThrottle({ maxFailures: ADDRESS_SIGN_UPS, windowMs: SIGN_IN_WINDOW_MS }),
  });
  await app.register(portalAppRoutes, { access, store: options.store, gatewayUrl: options.gatewayUrl });

  const webRoot = options.webRoot ?? findPortalWebRoot();
  if (webRoot === undefined) {
    app.log.warn('the portal pages are not built (npm run build): / answers 503');
    app.get('/', async (_request, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The portal is not built: run npm run build, then restart.\n'),
    );
  } else {
    await app.register(fastifyStatic, {
      root: webRoot,
      prefix: '/',
      index: 'portal.html',
      cacheControl: false,
      serveDotFiles: false,
      setHeaders: (reply, filePath) => {
        const immutable = /[\\/]assets[\\/]/.test(filePath);
        reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-store');
      },
    });
  }
  return app;
}
