/** Builds the portal pages (dist/portal-web) when missing or older than web/. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { underBuildLock } from '../helpers/build-lock.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function ensurePortalBuilt(): void {
  const index = path.join(ROOT, 'dist', 'portal-web', 'portal.html');
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'web')),
    statSync(path.join(ROOT, 'vite.portal.config.ts')).mtimeMs,
  );
  const fresh = () => existsSync(index) && statSync(index).mtimeMs >= sources;
  if (fresh()) return;
  underBuildLock('web', () => {
    if (fresh()) return;
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '-c', 'vite.portal.config.ts'],
      { cwd: ROOT, stdio: 'inherit', timeout: 120_000 },
    );
  });
}
