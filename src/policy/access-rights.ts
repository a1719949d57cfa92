/**
 * Access rights, compiled once per snapshot: which APIs a key may call, and on each which methods and paths.
 * Tyk's `AccessRightsCheck` and `GranularAccess` in one step, with its two refusals:
 *
 *   API not in the rights                        → 'api_not_allowed'
 *                                                   (Tyk: "Access to this API has been disallowed")
 *   API listed, no right allows method AND path  → 'resource_not_allowed'
 *                                                   (Tyk: "Access to this resource has been disallowed")
 *
 * Rules: an empty `methods` list allows every method and an empty `paths` list every path. Several rights for
 * the same API are alternatives: a request is allowed when ONE of them allows both its method and its path
 * (`GET /read/*` and `POST /write/*` do not allow `POST /read/x`). No rights at all allow nothing (an empty list
 * never means "every API"). Methods compare exactly (HTTP methods are case-sensitive, RFC 9110 §9.1);
 * `HEAD` is not implied by `GET`. Paths match with {@link compilePathPattern}, without the query.
 */
import type { AccessRight } from '../model/records.ts';
import { compilePathPattern, type PathMatcher } from './path-pattern.ts';

export type AccessDecision = 'allowed' | 'api_not_allowed' | 'resource_not_allowed';

export interface CompiledAccessRights {
  /**
   * Decides a request. `path` is the request path the upstream will act on (see path-pattern.ts on
   * normalization); anything from the first `?` is ignored. Allocates nothing.
   */
  check(apiId: string, method: string, path: string): AccessDecision;
}

/** One right, compiled: null = all methods / all paths. */
interface Grant {
  readonly methods: ReadonlySet<string> | null;
  readonly paths: readonly PathMatcher[] | null;
}

/** Every method on every path: once an API has it, its other rights add nothing. */
const ALL: Grant = Object.freeze({ methods: null, paths: null });

/** Compiles rights (duplicates and several rights per API allowed) into a per-request checker. */
export function compileAccessRights(rights: readonly AccessRight[]): CompiledAccessRights {
  const byApi = new Map<string, Grant[]>();
  for (const right of rights) {
    const grants = byApi.get(right.apiId);
    if (grants?.[0] === ALL) continue;
    const grant = compileGrant(right);
    if (grants === undefined || grant === ALL) byApi.set(right.apiId, [grant]);
    else grants.push(grant);
  }
  return new AccessRightsChecker(byApi);
}

function compileGrant(right: AccessRight): Grant {
  if (right.methods.length === 0 && right.paths.length === 0) return ALL;
  return {
    methods: right.methods.length === 0 ? null : new Set(right.methods),
    paths: right.paths.length === 0 ? null : right.paths.map((pattern) => compilePathPattern(pattern)),
  };
}

class AccessRightsChecker implements CompiledAccessRights {
  readonly #byApi: ReadonlyMap<string, readonly Grant[]>;

  constructor(byApi: ReadonlyMap<string, readonly Grant[]>) {
    this.#byApi = byApi;
  }

  check(apiId: string, method: string, path: string): AccessDecision {
    const grants = this.#byApi.get(apiId);
    if (grants === undefined) return 'api_not_allowed';
    let end = -1;
    for (const grant of grants) {
      if (grant.methods !== null && !grant.methods.has(method)) continue;
      if (grant.paths === null) return 'allowed';
      if (end < 0) {
        const query = path.indexOf('?');
        end = query < 0 ? path.length : query;
      }
      for (const matches of grant.paths) if (matches(path, end)) return 'allowed';
    }
    return 'resource_not_allowed';
  }
}
