/**
 * Developer sessions (docs/adr/0017): the dashboard's sealed-cookie design (docs/adr/0013) with a
 * key and a cookie of their own. The cookie holds {session id, developer id, CSRF token, issued,
 * expires} sealed with AES-256-GCM under a key derived from the master key with its own HKDF
 * `info`, so a dashboard cookie never opens here nor the reverse, and every node of a cluster
 * accepts the sessions of the others. On every request the developer is read again: a disabled
 * developer, or a session older than the last password change, is signed out at once.
 *
 * Cookie: HttpOnly, Secure (the portal listener is always TLS), SameSite=Strict, Path=/.
 * CSRF: state-changing requests of a session carry its token in X-CSRF-Token; a request whose
 * Origin is another site's is refused whatever it carries.
 */
import { hkdfSync, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GW_ERR_PORTAL_CSRF, GW_ERR_PORTAL_SESSION } from '../errors/index.ts';
import type { PortalDeveloperRecord } from '../model/portal-records.ts';
import { SessionSealer, type DashboardSession } from '../admin-api/dashboard/session-seal.ts';

export const PORTAL_SESSION_COOKIE = 'portcullis_portal_session';
export const CSRF_HEADER = 'x-csrf-token';
export const PORTAL_SESSION_LIFETIME_MS = 8 * 3_600_000;
/** RFC 9110 §9.2.1: the methods that change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function derivePortalSessionKey(masterKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'portcullis developer portal session v1', 32));
}

export function portalSealer(masterKey: Uint8Array, lifetimeMs = PORTAL_SESSION_LIFETIME_MS): SessionSealer {
  return new SessionSealer(derivePortalSessionKey(masterKey), lifetimeMs);
}

export interface SignedIn {
  readonly session: DashboardSession;
  readonly developer: PortalDeveloperRecord;
}

export function setSessionCookie(reply: FastifyReply, sealed: string, lifetimeMs: number): void {
  reply.setCookie(PORTAL_SESSION_COOKIE, sealed, {
    path: '/',
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    maxAge: Math.floor(lifetimeMs / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(PORTAL_SESSION_COOKIE, { path: '/', httpOnly: true, secure: true, sameSite: 'strict' });
}

export function openSession(request: FastifyRequest, sealer: SessionSealer): DashboardSession | undefined {
  return sealer.open(request.cookies[PORTAL_SESSION_COOKIE]);
}

/** A cross-site Origin is refused on every state change, signed in or not (login CSRF included). */
export function checkOrigin(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const host = request.headers.host;
  if (origin === 'null' || host === undefined || !URL.canParse(origin) || new URL(origin).host !== host) {
    throw GW_ERR_PORTAL_CSRF.create();
  }
}

export function checkCsrf(request: FastifyRequest, session: DashboardSession): void {
  if (SAFE_METHODS.has(request.method)) return;
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string') throw GW_ERR_PORTAL_CSRF.create();
  const left = Buffer.from(sent);
  const right = Buffer.from(session.csrfToken);
  if (left.length !== right.length || !timingSafeEqual(left, right)) throw GW_ERR_PORTAL_CSRF.create();
}

/** Throws GW_ERR_PORTAL_SESSION unless the request has a live session, and GW_ERR_PORTAL_CSRF unless a change carries its token. */
export function requireSession(request: FastifyRequest): SignedIn {
  const signedIn = request.portalSession;
  if (signedIn === null) throw GW_ERR_PORTAL_SESSION.create();
  checkCsrf(request, signedIn.session);
  return signedIn;
}

declare module 'fastify' {
  interface FastifyRequest {
    portalSession: SignedIn | null;
  }
}
