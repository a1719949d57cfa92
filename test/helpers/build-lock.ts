/**
 * One build of a kind at a time in this checkout, across test processes: `npm test` runs two test files at once.
 * On a fresh clone (no dist/ yet) the dashboard's and the portal's tests would both start a Vite build, which Vite
 * refuses ("Found another Vite build process for this project") and which would write the same folder; the first
 * two `portcullis` processes of a run would both bundle the command (test/helpers/cli.ts). A directory made with
 * mkdir is the lock (atomic on every filesystem); a lock left by a killed process is taken over after LOCK_STALE_MS.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LOCK_STALE_MS = 300_000;
const POLL_MS = 200;

/** Runs `buildIfStale` holding the `kind` lock; it should check again whether a build is needed (another may have). */
export function underBuildLock(kind: 'web' | 'command', buildIfStale: () => void): void {
  const lock = path.join(ROOT, 'dist', `.${kind}-build.lock`);
  mkdirSync(path.dirname(lock), { recursive: true });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const heldSince = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
    if (heldSince === undefined) continue; // released meanwhile
    if (Date.now() - heldSince > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
    else Atomics.wait(sleeper, 0, 0, POLL_MS);
  }
  try {
    buildIfStale();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
