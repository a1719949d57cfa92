/**
 * Which host a request is for must be unambiguous before anything routes, checks or forwards it:
 * the listener refuses, with 400, a request that names its host twice or in two different ways
 * (both commands; the host is what routes, custom rules and the upstream's Host all go by).
 *
 *   HTTP/1.1 (RFC 9112 §3.2): exactly one Host header, holding a valid authority
 *            ("a Host header field with an invalid field value" is a 400 as well); an HTTP/1.0
 *            request may have none (Host is HTTP/1.1's), but not two or an invalid one
 *   HTTP/2   (RFC 9113 §8.3.1): a Host header sent with :authority names the same authority,
 *            compared after the normalisation of RFC 3986 §6.2 (case, the default port 443);
 *            each present one is a valid authority
 *
 * Repeated :authority or Host fields on HTTP/2 are refused by nghttp2 itself (RST_STREAM
 * PROTOCOL_ERROR). An absolute-form target (`GET https://host/ HTTP/1.1`) is refused by the
 * handlers (origin-form only), so its authority can never disagree with the Host that routed it.
 */
import type { IncomingHttpHeaders } from 'node:http2';

/**
 * RFC 3986 §3.2.2-3 without userinfo (RFC 9110 §4.2.4 forbids it in http(s) URIs): an IP literal
 * in brackets, or a reg-name (unreserved, percent-encoded, sub-delims), then an optional port.
 * An empty value is a valid (empty) reg-name: routing answers it (421 on `serve`).
 */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::\d{1,5})?$/;

/** The reason to refuse an HTTP/1.x request's Host (from its raw header lines), or undefined. */
export function http1HostProblem(rawHeaders: readonly string[], httpVersion = '1.1'): string | undefined {
  let host: string | undefined;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] as string;
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    if (host !== undefined) return 'more than one Host header';
    host = rawHeaders[index + 1] ?? '';
  }
  if (host === undefined) return httpVersion === '1.0' ? undefined : 'no Host header';
  return AUTHORITY.test(host) ? undefined : 'the Host header is not a valid host[:port]';
}

/** The reason to refuse an HTTP/2 request's :authority and Host, or undefined. */
export function http2AuthorityProblem(headers: IncomingHttpHeaders): string | undefined {
  const authority = headers[':authority'];
  const host = headers.host;
  if (authority !== undefined && !AUTHORITY.test(authority)) return ':authority is not a valid host[:port]';
  if (host === undefined) return undefined;
  if (typeof host !== 'string' || !AUTHORITY.test(host)) return 'the Host header is not a valid host[:port]';
  if (authority !== undefined && normalised(authority) !== normalised(host)) {
    return 'the Host header names another host than :authority';
  }
  return undefined;
}

/** RFC 3986 §6.2.2.1 (the host is case-insensitive) and §6.2.3 (an https URI's default port is 443). */
function normalised(authority: string): string {
  const lower = authority.toLowerCase();
  return lower.endsWith(':443') ? lower.slice(0, -4) : lower;
}
