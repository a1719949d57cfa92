/** The session cookie's name and attributes, in one place (docs/adr/0013). */
import type { FastifyRequest } from 'fastify';
import type { CookieSerializeOptions } from '@fastify/cookie';

export const SESSION_COOKIE = 'portcullis_session';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * HttpOnly: page scripts (an injected one included) cannot read it. SameSite=Strict: no other site
 * can make the browser send it. Secure when the request came over TLS (a TLS admin listener, or a
 * terminating proxy on the same connection): a plain-HTTP loopback listener cannot use it.
 */
export function sessionCookieOptions(request: FastifyRequest, maxAgeSeconds: number): CookieSerializeOptions {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    maxAge: maxAgeSeconds,
  };
}
