/**
 * Where the built dashboard (`vite build` → dist/web) is: beside the bundled server (dist/main.js → dist/web, what
 * an installed package runs; docs/adr/0025-bundled-dist.md), beside tsc's per-file output
 * (dist/admin-api/dashboard → dist/web), or under dist/ of a checkout when the server runs from src/ through tsx.
 * Undefined when it has not been built.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CANDIDATES = [
  path.resolve(here, 'web'),
  path.resolve(here, '../../web'),
  path.resolve(here, '../../../dist/web'),
];

export function findWebRoot(): string | undefined {
  return CANDIDATES.find((candidate) => existsSync(path.join(candidate, 'index.html')));
}
