/**
 * Offset commits of one group member, one OffsetCommit request at a time. Commits made while a request is out are
 * merged into the next one (the later position of a partition wins), so two commits of one partition can never
 * land in the opposite order and overwrite a newer position with an older one.
 */
import type { Consumer } from '@platformatic/kafka';
import type { RecordPosition } from '../port.ts';
import { toHeraldError } from './errors.ts';
import { partitionKey } from './fetch-state.ts';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

export class CommitQueue {
  readonly #consumer: Consumer;
  #pending = new Map<string, RecordPosition>();
  #waiters: Waiter[] = [];
  #inFlight = false;

  constructor(consumer: Consumer) {
    this.#consumer = consumer;
  }

  /** Resolves once the group coordinator stored `positions` (or a later commit of the same partitions). */
  commit(positions: RecordPosition[]): Promise<void> {
    return new Promise((resolve, reject) => {
      for (const p of positions) this.#pending.set(partitionKey(p.topic, p.partition), p);
      this.#waiters.push({ resolve, reject });
      if (!this.#inFlight) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#inFlight = true;
    const positions = [...this.#pending.values()];
    const waiters = this.#waiters;
    this.#pending = new Map();
    this.#waiters = [];
    try {
      await this.#consumer.commit({
        offsets: positions.map(({ topic, partition, offset }) => ({
          topic,
          partition,
          offset: BigInt(offset),
          leaderEpoch: -1,
        })),
      });
      for (const waiter of waiters) waiter.resolve();
    } catch (err) {
      const error = toHeraldError(err, 'commit');
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      this.#inFlight = false;
      if (this.#waiters.length > 0) void this.#flush();
    }
  }
}
