/**
 * A real full disk: a small tmpfs (mounting needs root) and a filler file that takes the rest of its space. Where
 * none can be mounted, `mountSmallDisk` answers why, so that a caller can skip with that reason.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SmallDisk {
  /** The mount point. */
  dir: string;
  /** Fills what is left of the disk (writes then fail with ENOSPC / SQLITE_FULL). */
  fill(): void;
  /** Frees what `fill` took. */
  free(): void;
  /** Unmounts and removes the mount point. */
  unmount(): void;
}

/** A tmpfs of `sizeMiB` MiB; a string (the reason) when none can be mounted here. */
export function mountSmallDisk(sizeMiB: number): SmallDisk | string {
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs: ${(mounted.stderr || mounted.error?.message || '').trim()}`;
  }
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, 'a');
      try {
        // Big chunks first, then small ones for what is left.
        for (const size of [1024 * 1024, 64 * 1024, 4096, 512]) {
          const chunk = Buffer.alloc(size);
          try {
            for (;;) fs.writeSync(fd, chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          }
        }
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    unmount() {
      spawnSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
