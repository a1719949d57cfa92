/**
 * The one way hostnames are compared and checked, for the API, the configuration file, the
 * snapshot and the data plane alike. DNS names compare case-insensitively (RFC 4343 §3) and a
 * trailing dot only marks a name as absolute (RFC 1034 §3.1), so `API.Example.COM.` and
 * `api.example.com` are one name: every name is lowercased and loses one trailing dot before it is
 * stored, looked up or compared. Internationalised names arrive as A-labels (`xn--…`, RFC 5890):
 * clients and certificates carry them so; nothing here converts Unicode.
 */

/** Longest name in presentation form (RFC 1035 §2.3.4, without the trailing dot). */
export const MAX_HOSTNAME_LENGTH = 253;

/** Lowercase, one trailing dot removed. No check: see isHostname. */
export function canonicalHostname(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export interface HostnameSyntax {
  /** A leading `*.` label (a wildcard over one label, RFC 6125 §6.4.3) is allowed. */
  readonly wildcard?: boolean;
  /**
   * `_` is allowed in labels. Names people configure follow RFC 1123 §2.1 (letters, digits,
   * hyphens); names met in certificates may carry underscores (service labels, RFC 8552), so the
   * snapshot and EST templates accept them.
   */
  readonly underscore?: boolean;
  /** At least two labels (a zone: `example.com`, never `com`). */
  readonly dotted?: boolean;
}

const LDH_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const LDH_UNDERSCORE_LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const PATTERNS = new Map<string, RegExp>();

function patternOf(syntax: HostnameSyntax): RegExp {
  const key = `${syntax.wildcard === true}/${syntax.underscore === true}/${syntax.dotted === true}`;
  let pattern = PATTERNS.get(key);
  if (pattern === undefined) {
    const label = syntax.underscore === true ? LDH_UNDERSCORE_LABEL : LDH_LABEL;
    const wildcard = syntax.wildcard === true ? '(?:\\*\\.)?' : '';
    const parents = syntax.dotted === true ? '+' : '*';
    pattern = new RegExp(`^${wildcard}(?:${label}\\.)${parents}${label}$`);
    PATTERNS.set(key, pattern);
  }
  return pattern;
}

/** Whether `name`, already canonical (lowercase, no trailing dot), is a hostname of this syntax. */
export function isHostname(name: string, syntax: HostnameSyntax = {}): boolean {
  return name.length <= MAX_HOSTNAME_LENGTH && patternOf(syntax).test(name);
}
