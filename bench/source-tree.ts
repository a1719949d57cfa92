/**
 * Which source a target ran: the newest modification time under src/ (to warn about a stale build,
 * or about src/ changing between rounds) and the git revision with a note when src/ has changes.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Newest modification time of the .ts files under `dir`. */
export function newestSourceMtime(dir: string, depth = 0): number {
  let newest = 0;
  if (depth > 10) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path, depth + 1));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** "commit 1b56f3b" plus "+ uncommitted changes in src/" when so; "" outside a git checkout. */
export function sourceRevision(root: string): string {
  const git = (...args: string[]): string => {
    // Without git (or outside a checkout) the status is non-zero or null: no revision.
    const result = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', timeout: 5_000 });
    return result.status === 0 ? result.stdout.trim() : '';
  };
  const commit = git('rev-parse', '--short', 'HEAD');
  if (commit === '') return '';
  const dirty = git('status', '--porcelain', '--', 'src') !== '';
  return `commit ${commit}${dirty ? ' + uncommitted changes in src/' : ''}`;
}
