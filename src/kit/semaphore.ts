import { HeraldError } from '../errors.ts';

/**
 * At most `permits` holders at once; waiters are served first come, first served (e.g. the requests in flight to
 * one destination across all of its partitions).
 */
export class Semaphore {
  #free: number;
  readonly #waiting: { grant(): void }[] = [];

  constructor(permits: number) {
    this.#free = permits;
  }

  /** Resolves once a permit is held; rejects with `HERALD_SHUTTING_DOWN` if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.#free > 0 && this.#waiting.length === 0) {
      this.#free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(new HeraldError('HERALD_SHUTTING_DOWN', 'stopped while waiting for a permit'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next.grant();
    else this.#free += 1;
  }
}
