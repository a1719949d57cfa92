/**
 * UpstreamTarget: where the proxy sends requests, and in which protocol.
 *   http://   HTTP/1.1 (keep-alive pool); gRPC is refused (it needs HTTP/2).
 *   https://  TLS: HTTP/1.1 through the same pool, gRPC over HTTP/2 (ALPN h2).
 *   h2c://    HTTP/2 with prior knowledge (RFC 9113 §3.3) for every request.
 */
import { GW_ERR_USAGE } from '../errors/index.ts';

export interface UpstreamTarget {
  readonly protocol: 'http' | 'https' | 'h2c';
  /** Origin for clients: `http://host:port` (h2c maps to http). */
  readonly origin: string;
  /** Path prefix of the upstream URL without trailing slash ("" for none). */
  readonly basePath: string;
}

export function parseUpstreamTarget(text: string): UpstreamTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw GW_ERR_USAGE.create(`--upstream must be a URL (http://, https:// or h2c://), got "${text}"`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'h2c') {
    throw GW_ERR_USAGE.create(`--upstream scheme must be http, https or h2c, got "${scheme}"`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.hostname === '') {
    throw GW_ERR_USAGE.create('--upstream must be scheme://host[:port][/path] without credentials, query or fragment');
  }
  const defaultPort = scheme === 'https' ? '443' : '80';
  const origin = `${scheme === 'https' ? 'https' : 'http'}://${url.hostname}:${url.port === '' ? defaultPort : url.port}`;
  return { protocol: scheme, origin, basePath: url.pathname.replace(/\/+$/, '') };
}
