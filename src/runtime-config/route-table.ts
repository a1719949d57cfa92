/**
 * RouteTable: hostname + path prefix → upstream, compiled once per snapshot. A request's host picks
 * its routes (exact hostname first, then the `*.parent` wildcard, one label as in RFC 6125 §6.4.3);
 * among them the longest prefix that matches on a segment boundary wins:
 *
 *   /api   matches  /api, /api/, /api/v1, /api?x=1      but not  /apix
 *   /      matches  everything
 */
import type { UpstreamTarget } from '../config/upstream-target.ts';
import type { ApiRuntime } from './api-runtime.ts';

export interface RouteRuntime {
  readonly id: string;
  readonly zoneId: string;
  /** Lowercase hostname or `*.parent`. */
  readonly hostname: string;
  /** `/` or a prefix without trailing slash. */
  readonly pathPrefix: string;
  readonly upstream: UpstreamTarget;
  readonly stripPrefix: boolean;
  /** The route's or API's own upstream timeout (ms); undefined: the forwarders' default (`serve --upstream-timeout`). */
  readonly upstreamTimeoutMs?: number | undefined;
  /** Set when this is an API: its authentication and limits apply. */
  readonly api?: ApiRuntime;
}

export class RouteTable {
  /** Per hostname, longest prefix first. */
  readonly #byHost: ReadonlyMap<string, readonly RouteRuntime[]>;

  constructor(routes: readonly RouteRuntime[]) {
    const byHost = new Map<string, RouteRuntime[]>();
    for (const route of routes) {
      const list = byHost.get(route.hostname) ?? [];
      list.push(route);
      byHost.set(route.hostname, list);
    }
    for (const list of byHost.values()) list.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
    this.#byHost = byHost;
  }

  get size(): number {
    let count = 0;
    for (const list of this.#byHost.values()) count += list.length;
    return count;
  }

  /** `host` lowercase without port; `path` the request target's path (query allowed after it). */
  match(host: string, path: string): RouteRuntime | undefined {
    const exact = this.#byHost.get(host);
    const found = exact === undefined ? undefined : longestPrefix(exact, path);
    if (found !== undefined) return found;
    const dot = host.indexOf('.');
    const wildcard = dot > 0 ? this.#byHost.get(`*${host.slice(dot)}`) : undefined;
    return wildcard === undefined ? undefined : longestPrefix(wildcard, path);
  }
}

function longestPrefix(routes: readonly RouteRuntime[], path: string): RouteRuntime | undefined {
  for (const route of routes) if (prefixMatches(route.pathPrefix, path)) return route;
  return undefined;
}

export function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  if (path.length === prefix.length) return true;
  const next = path.charCodeAt(prefix.length);
  return next === 0x2f /* / */ || next === 0x3f; /* ? */
}

/** The path to send upstream: the upstream's base path, then the request path (minus the prefix if stripped). */
export function upstreamPath(route: RouteRuntime, path: string): string {
  let rest = path;
  if (route.stripPrefix && route.pathPrefix !== '/') {
    rest = path.slice(route.pathPrefix.length);
    if (rest === '' || rest.charCodeAt(0) === 0x3f) rest = `/${rest}`;
  }
  return route.upstream.basePath + rest;
}
