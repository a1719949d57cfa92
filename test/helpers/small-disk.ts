/**
 * A small disk for tests about running out of space: a tmpfs of a given size mounted on a temp dir
 * (needs root, as the sandbox and CI run the tests; skipped with the reason elsewhere). `fill`
 * leaves a given number of bytes free by writing a filler file; `release` deletes it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SmallDisk {
  readonly dir: string;
  /** Bytes free now. */
  free(): Promise<number>;
  /** Writes a filler file until at most `leaveBytes` are free. */
  fill(leaveBytes?: number): Promise<void>;
  /** Deletes the filler file. */
  release(): Promise<void>;
  unmount(): void;
}

/** Why a small disk cannot be mounted here, or undefined when it can. */
export function smallDiskSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-disk-probe-'));
  try {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    if (mounted.status !== 0) return `mount -t tmpfs is not permitted here: ${mounted.stderr.toString().trim()}`;
    spawnSync('umount', [dir]);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function mountSmallDisk(sizeBytes: number): SmallDisk {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir]);
  if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.stderr.toString()}`);
  const unmount = (): void => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  };
  // A crashed or interrupted test run must not leave the mount behind.
  process.once('exit', unmount);
  const filler = path.join(dir, 'filler');
  const free = async (): Promise<number> => {
    const stats = await statfs(dir);
    return stats.bavail * stats.bsize;
  };
  return {
    dir,
    free,
    async fill(leaveBytes = 0) {
      const handle = await open(filler, 'a');
      try {
        for (let room = await free(); room > leaveBytes; room = await free()) {
          // tmpfs counts whole pages: write what is over the reserve, rounded down to a page.
          const chunk = Math.max(4096, Math.floor((room - leaveBytes) / 4096) * 4096);
          try {
            await handle.write(Buffer.alloc(chunk));
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return;
            throw error;
          }
        }
      } finally {
        await handle.close();
      }
    },
    async release() {
      await rm(filler, { force: true });
    },
    unmount() {
      process.removeListener('exit', unmount);
      unmount();
    },
  };
}
