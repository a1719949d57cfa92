/**
 * Path patterns of access rights (`/orders/*`): literal characters, and `*` for ONE OR MORE characters of any
 * kind, `/` included. The pattern must match the whole path; matching is case-sensitive (RFC 3986 §6.2.2.1: the
 * path is case-sensitive). There is no escape: a pattern cannot ask for a literal `*`.
 *
 *   /orders/*     matches  /orders/1, /orders/1/items       but not  /orders/, /orders
 *   /api/*.json   matches  /api/a.json, /api/a/b.json        but not  /api/.json
 *
 * A pattern compiles to its literal segments. Matching checks the first segment as a prefix and the last as a
 * suffix, then finds each middle segment left to right, each one at least one character past the previous: the
 * leftmost placement is always the best one for stars that take "anything", so there is no backtracking. The cost
 * is one `indexOf` scan per segment over disjoint stretches of the path, linear in the path for a given pattern,
 * and nothing is allocated per match.
 *
 * Security: the matcher sees the string it is given. The caller must pass the path the upstream will act on — a
 * raw `/public/../admin` matches `/public/*` — so paths with dot segments or encoded separators are to be
 * normalised or refused before they reach an access check.
 */

/**
 * Tells whether `path`, up to `end` (default: its length, e.g. the index of `?`), matches the pattern. Reads only
 * `path[0..end)`.
 */
export type PathMatcher = (path: string, end?: number) => boolean;

/** Compiles a path pattern into a linear-time matcher. Any string compiles; see {@link pathPatternProblem}. */
export function compilePathPattern(pattern: string): PathMatcher {
  const segments = pattern.split('*');
  const first = segments[0] ?? '';
  if (segments.length === 1) {
    return (path, end = path.length) => end === first.length && path.startsWith(first);
  }
  const last = segments[segments.length - 1] ?? '';
  const middle = segments.slice(1, -1);
  const stars = segments.length - 1;
  let shortest = stars;
  for (const segment of segments) shortest += segment.length;

  return (path, end = path.length) => {
    if (end < shortest || !path.startsWith(first) || !path.startsWith(last, end - last.length)) return false;
    // The last star needs one character before the last segment.
    const bound = end - last.length - 1;
    let position = first.length;
    for (const segment of middle) {
      // Each star takes at least one character: look for the next segment one past where the previous ended.
      const found = path.indexOf(segment, position + 1);
      if (found < 0 || found + segment.length > bound) return false;
      position = found + segment.length;
    }
    return true;
  };
}

/**
 * Why a pattern cannot describe a request path, or null when it can: it must start with `/` or `*` and must not
 * hold a query or fragment delimiter (`?`, `#`; the path is matched without its query), whitespace or a control
 * character. For the control plane to refuse such input with its own error code.
 */
export function pathPatternProblem(pattern: string): string | null {
  if (pattern === '') return 'a path pattern must not be empty';
  if (!pattern.startsWith('/') && !pattern.startsWith('*')) return 'a path pattern must start with "/" or "*"';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  const bad = /[?#\s\x00-\x1f\x7f]/.exec(pattern);
  if (bad !== null) return `a path pattern must not contain ${JSON.stringify(bad[0])}`;
  return null;
}
