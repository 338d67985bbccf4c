import type { Logger } from 'pino';
import { ChangelogFollower, type FollowerOptions } from './follower.ts';

/**
 * Hot standby (`hotStandby: true`): partitions of the group table that this instance does not own are kept in its
 * local store by a changelog follower, so that when one is assigned here it waits for the rest of its restore
 * instead of restoring from the checkpoint.
 */
export class HotStandby {
  readonly #follower: ChangelogFollower;
  readonly #logger: Logger;
  /** Standby partitions and their restore, which an assignment waits for before restoring the partition itself. */
  readonly #ready = new Map<number, Promise<void>>();

  constructor(options: Omit<FollowerOptions, 'onError'>, logger: Logger) {
    this.#logger = logger;
    this.#follower = new ChangelogFollower({
      ...options,
      onError: (err, partition) => logger.warn({ err, partition }, 'standby read failed'),
    });
  }

  /** Starts keeping `partition` warm, unless it already is. */
  start(partition: number): void {
    if (this.#ready.has(partition)) return;
    const ready = this.#follower.add([partition]).catch((err: unknown) => {
      this.#logger.warn({ err, partition }, 'standby restore failed; the partition restores on assignment');
    });
    this.#ready.set(partition, ready);
  }

  /** Stops keeping `partition` warm once its standby restore is over (it must not write under the owner). */
  async stop(partition: number): Promise<void> {
    const ready = this.#ready.get(partition);
    if (ready === undefined) return;
    this.#ready.delete(partition);
    await ready;
    await this.#follower.remove([partition]);
  }

  /** The partitions kept warm, ascending. */
  partitions(): number[] {
    return [...this.#ready.keys()].sort((a, b) => a - b);
  }

  close(): Promise<void> {
    return this.#follower.stop();
  }
}
