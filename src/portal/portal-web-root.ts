/**
 * Where the built portal pages (`vite build -c vite.portal.config.ts` → dist/portal-web) are: beside the bundled
 * server (dist/main.js → dist/portal-web; docs/adr/0025-bundled-dist.md), beside tsc's per-file output
 * (dist/portal → dist/portal-web) or under dist/ of a checkout when the server runs from src/ through tsx.
 * Undefined when not built.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CANDIDATES = [
  path.resolve(here, 'portal-web'),
  path.resolve(here, '../portal-web'),
  path.resolve(here, '../../dist/portal-web'),
];

export function findPortalWebRoot(): string | undefined {
  return CANDIDATES.find((candidate) => existsSync(path.join(candidate, 'portal.html')));
}
