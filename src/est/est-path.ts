/**
 * The EST paths (RFC 7030 §3.2.2): `/.well-known/est/<operation>` and
 * `/.well-known/est/<label>/<operation>`, where a label names one of the CA's enrollment profiles.
 */

export const EST_PATH_PREFIX = '/.well-known/est/';

export const EST_OPERATIONS = ['cacerts', 'csrattrs', 'simpleenroll', 'simplereenroll'] as const;
export type EstOperation = (typeof EST_OPERATIONS)[number];

export interface EstPath {
  /** '' when the request names no label. */
  readonly label: string;
  readonly operation: EstOperation;
}

/** A label: one path segment of letters, digits, `.`, `_` and `-` (RFC 7030 leaves its syntax to the server). */
export const EST_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const OPERATIONS: ReadonlySet<string> = new Set(EST_OPERATIONS);

export function isEstPath(path: string): boolean {
  return path.startsWith(EST_PATH_PREFIX);
}

/** The label and operation of an EST path (query ignored); undefined for anything else. */
export function parseEstPath(rawPath: string): EstPath | undefined {
  const path = rawPath.split('?', 1)[0] ?? '';
  if (!path.startsWith(EST_PATH_PREFIX)) return undefined;
  const segments = path.slice(EST_PATH_PREFIX.length).split('/');
  const [first, second] = segments;
  if (segments.length === 1 && first !== undefined && OPERATIONS.has(first)) {
    return { label: '', operation: first as EstOperation };
  }
  if (segments.length === 2 && first !== undefined && second !== undefined && OPERATIONS.has(second)) {
    // A label is never an operation's name: `/.well-known/est/cacerts/cacerts` names nothing.
    if (EST_LABEL.test(first) && !OPERATIONS.has(first)) return { label: first, operation: second as EstOperation };
  }
  return undefined;
}
