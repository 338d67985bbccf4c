/**
 * A real full disk for tests: a small tmpfs mounted for the test (root only) and a filler file that takes the rest
 * of its space. Where it cannot be mounted, `smallDisk` answers why, for `t.skip`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

export interface SmallDisk {
  /** The mount point. */
  dir: string;
  /** Fills what is left of the disk (writes then fail with ENOSPC / SQLITE_FULL). */
  fill(): void;
  /** Frees what `fill` took. */
  free(): void;
}

/** A tmpfs of `sizeMiB` MiB, unmounted after the test; a string (the reason) when none can be mounted here. */
export function smallDisk(t: TestContext, sizeMiB: number): SmallDisk | string {
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs: ${(mounted.stderr || mounted.error?.message || '').trim()}`;
  }
  t.after(() => {
    spawnSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
      // What is left is smaller than a chunk: take it too.
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(512));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
  };
}
