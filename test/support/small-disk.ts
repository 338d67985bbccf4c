import type { TestContext } from 'node:test';
import { mountSmallDisk, type SmallDisk } from '../../tools/shared/small-disk.ts';

/** A small tmpfs for the test (unmounted after it), or the reason there is none (for `t.skip`). */
export function smallDisk(t: TestContext, sizeMiB: number): SmallDisk | string {
  const disk = mountSmallDisk(sizeMiB);
  if (typeof disk !== 'string') t.after(() => disk.unmount());
  return disk;
}
