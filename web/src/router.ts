/**
 * Hash routes (`#/certificates/<id>`): the server serves one index.html, and nothing of a route
 * (never a token) reaches a server log or a Referer.
 */
import { signal } from '@preact/signals';

export interface Route {
  /** Path segments after `#/`, e.g. ['certificates', '<id>']. */
  readonly parts: readonly string[];
  readonly query: URLSearchParams;
}

function parse(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = text.split('?', 2);
  return {
    parts: path
      .split('/')
      .filter((part) => part !== '')
      .map(decodeURIComponent),
    query: new URLSearchParams(search),
  };
}

export const route = signal<Route>(parse(location.hash));

addEventListener('hashchange', () => {
  route.value = parse(location.hash);
});

/** `href` for a route: `link('certificates', id)` → `#/certificates/<id>`. */
export function link(...parts: string[]): string {
  return '#/' + parts.map(encodeURIComponent).join('/');
}

export function navigate(href: string): void {
  location.hash = href.replace(/^#/, '');
}
