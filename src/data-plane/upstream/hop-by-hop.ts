/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) and HTTP/2 connection-specific headers (RFC 9113 §8.2.2):
 * they describe one connection and are never forwarded, in either direction.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'http2-settings',
  'host',
]);

export function isHopByHop(lowercaseName: string): boolean {
  return HOP_BY_HOP.has(lowercaseName);
}

/** Extra names a sender listed in its Connection header (RFC 9110 §7.6.1), lowercased. */
export function connectionListedNames(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined;
  if (typeof connection === 'string' && connection.indexOf(',') === -1) {
    // One token, the common case (`keep-alive`, `close`): no list to split.
    const name = connection.trim().toLowerCase();
    return name === '' || name === 'close' || name === 'keep-alive' ? undefined : new Set([name]);
  }
  const text = Array.isArray(connection) ? connection.join(',') : connection;
  const names = new Set<string>();
  for (const part of text.split(',')) {
    const name = part.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive') names.add(name);
  }
  return names.size > 0 ? names : undefined;
}

export type HeaderValue = string | string[];
export type HeaderMap = Record<string, HeaderValue>;

/** Response headers from the upstream, minus hop-by-hop ones and pseudo-headers. */
export function filterResponseHeaders(headers: Record<string, HeaderValue | number | undefined>): HeaderMap {
  const listed = connectionListedNames(headers.connection as HeaderValue | undefined);
  const out: HeaderMap = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name.charCodeAt(0) === 0x3a /* ':' */) continue;
    if (HOP_BY_HOP.has(name) || listed?.has(name) === true) continue;
    out[name] = typeof value === 'number' ? String(value) : value;
  }
  return out;
}
