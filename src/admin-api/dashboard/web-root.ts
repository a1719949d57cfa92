/**
 * Where a built web UI (`vite build` → dist/web for the dashboard, dist/portal-web for the portal) is: in dist/ of
 * the package or checkout the server's module belongs to, whichever way it runs — bundled (dist/main.js, what an
 * installed package runs; docs/adr/0025-bundled-dist.md; the tests' bundle under dist/.test-command/), tsc's
 * per-file output (dist/admin-api/…), or src/ through tsx. Undefined when it has not been built.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `dist/<folder>` (holding `page`) of the nearest directory above `moduleUrl` that has one, looking no higher than
 * the package root (the first directory with a package.json): never another project's build.
 */
export function findBuiltFolder(moduleUrl: string, folder: string, page: string): string | undefined {
  for (let dir = path.dirname(fileURLToPath(moduleUrl)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'dist', folder);
    if (existsSync(path.join(candidate, page))) return candidate;
    if (existsSync(path.join(dir, 'package.json')) || path.dirname(dir) === dir) return undefined;
  }
}

export function findWebRoot(): string | undefined {
  return findBuiltFolder(import.meta.url, 'web', 'index.html');
}
