import type { Admin } from '../broker/port.ts';
import { HeraldError } from '../errors.ts';

/**
 * Waits `ms`, or rejects with `HERALD_SHUTTING_DOWN` as soon as `signal` aborts (at once if it has, or if there is
 * none: nothing may wait for a partition that is not owned).
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined, why: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stopped = () => reject(new HeraldError('HERALD_SHUTTING_DOWN', why));
    if (signal === undefined || signal.aborted) return stopped();
    const onAbort = () => {
      clearTimeout(timer);
      stopped();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Input records after the group's committed offsets, per partition of `partitions`, summed over `inputs`. */
export async function inputLag(
  admin: Admin,
  group: string,
  inputs: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  partitions: ReadonlySet<number>,
): Promise<Map<number, number>> {
  const info = await admin.describeGroup(group);
  const lag = new Map<number, number>();
  for (const o of info.offsets) {
    if (inputs.has(o.topic) && partitions.has(o.partition)) lag.set(o.partition, (lag.get(o.partition) ?? 0) + o.lag);
  }
  return lag;
}
