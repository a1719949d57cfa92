/**
 * One Vite build of this checkout at a time, across test processes: `npm test` runs two test files at once, and
 * on a fresh clone (no dist/ yet) the dashboard's and the portal's tests would both start a build, which Vite
 * refuses ("Found another Vite build process for this project") and which would write the same folder. A
 * directory made with mkdir is the lock (atomic on every filesystem); a lock left by a killed process is taken
 * over after LOCK_STALE_MS.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LOCK = path.join(ROOT, 'dist', '.web-build.lock');
const LOCK_STALE_MS = 300_000;
const POLL_MS = 200;

/** Runs `buildIfStale` holding the lock; it should check again whether a build is needed (another may have made it). */
export function underWebBuildLock(buildIfStale: () => void): void {
  mkdirSync(path.dirname(LOCK), { recursive: true });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const heldSince = statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs;
    if (heldSince === undefined) continue; // released meanwhile
    if (Date.now() - heldSince > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
    else Atomics.wait(sleeper, 0, 0, POLL_MS);
  }
  try {
    buildIfStale();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
