import type { Broker, BrokerRecord, TailBatch, TailReader } from '../broker/port.ts';
import type { KeyValueStore } from '../state/store.ts';
import type { LogTail } from './log-tail.ts';
import { restorePartition, type RestoreState } from './restore.ts';

export interface FollowerOptions {
  broker: Broker;
  store: KeyValueStore;
  tail: LogTail;
  /** The changelog topic. */
  topic: string;
  /** After each applied batch (restore included; possibly empty when only markers were passed). */
  onApplied?: (records: readonly BrokerRecord[]) => void;
  onRestore?: (state: RestoreState) => void;
  onError?: (err: unknown, partition: number) => void;
  /** How often end offsets are asked for (for `lag`). Default 1,000 ms. */
  endsEveryMs?: number;
  /** Records per batch handed over by the reader. Default 2,000. */
  maxBatchSize?: number;
}

/**
 * Keeps partitions of a local store following a changelog: each added partition is restored (from its checkpoint,
 * or from scratch), then a tail reader (no group, read_committed, long-polling at the end) hands over new records
 * as they are committed, applied batch by batch with the partition's checkpoint. Views follow every partition of a
 * table; a processor with hot standby follows the partitions it does not own.
 */
export class ChangelogFollower {
  readonly topic: string;
  readonly #options: FollowerOptions;
  readonly #positions = new Map<number, number>();
  readonly #ends = new Map<number, number>();
  readonly #restored = new Set<number>();
  #reader: TailReader | undefined;
  #started: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: FollowerOptions) {
    this.#options = options;
    this.topic = options.topic;
  }

  /** Partitions followed, each with its position (next changelog offset applied) and the end last seen. */
  positions(): { partition: number; position: number; end: number }[] {
    return [...this.#positions]
      .sort(([a], [b]) => a - b)
      .map(([partition, position]) => ({ partition, position, end: Math.max(position, this.#ends.get(partition) ?? 0) }));
  }

  position(partition: number): number | undefined {
    return this.#positions.get(partition);
  }

  /** Changelog records not applied yet, as of the end offsets last seen. */
  lag(): number {
    let lag = 0;
    for (const [partition, position] of this.#positions) lag += Math.max(0, (this.#ends.get(partition) ?? 0) - position);
    return lag;
  }

  /** Whether every followed partition finished its restore. */
  restored(): boolean {
    return [...this.#positions.keys()].every((p) => this.#restored.has(p));
  }

  /** Restores `partitions` (in parallel), then follows them. Resolves once restored. */
  async add(partitions: number[]): Promise<void> {
    const { store, tail, topic } = this.#options;
    await Promise.all(
      partitions.map(async (partition) => {
        const state = await restorePartition({
          store,
          tail,
          topic,
          partition,
          onProgress: this.#options.onRestore,
          onRecords: this.#options.onApplied,
        });
        this.#positions.set(partition, state.position);
        this.#ends.set(partition, state.end);
        this.#restored.add(partition);
      }),
    );
    if (this.#stopped) return;
    const reader = await this.#ensureReader();
    await reader.assign(partitions.map((partition) => ({ topic, partition, offset: this.#positions.get(partition) ?? 0 })));
  }

  /** Stops following `partitions`; resolves once their batch in progress is applied. The store keeps them. */
  async remove(partitions: number[]): Promise<void> {
    await this.#reader?.unassign(partitions.map((partition) => ({ topic: this.topic, partition })));
    for (const p of partitions) {
      this.#positions.delete(p);
      this.#ends.delete(p);
      this.#restored.delete(p);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#started?.catch(() => {});
    await this.#reader?.close();
  }

  async #ensureReader(): Promise<TailReader> {
    if (this.#reader === undefined) {
      const reader = this.#options.broker.reader({
        maxBatchSize: this.#options.maxBatchSize ?? 2_000,
        clientId: `follower-${this.topic}`,
      });
      this.#reader = reader;
      this.#started = reader.start({ onRecords: (batch) => this.#apply(batch) });
      this.#timer = setInterval(() => void this.#refreshEnds(), this.#options.endsEveryMs ?? 1_000);
      this.#timer.unref();
    }
    await this.#started;
    return this.#reader;
  }

  /**
   * Applies committed changelog records of `partition` handed over in this process (`committed-feed.ts`) if they
   * continue what was applied (the first one's offset is the partition's position), and returns whether it did; the
   * fetch skips them when it brings them. Otherwise the fetch brings them in its time.
   */
  applyCommitted(partition: number, records: readonly BrokerRecord[]): boolean {
    if (records.length === 0 || !this.#restored.has(partition) || this.#positions.get(partition) !== records[0].offset) return false;
    const last = records[records.length - 1].offset;
    if (last - records[0].offset !== records.length - 1) return false; // not one contiguous run
    this.#apply({ topic: this.topic, partition, records: [...records], next: last + 1 });
    return true;
  }

  #apply(batch: TailBatch): void {
    const { partition, next } = batch;
    const position = this.#positions.get(partition);
    if (position === undefined || next <= position) return;
    // Records handed over by `applyCommitted` before the fetch brought them are applied already.
    const records = batch.records.length > 0 && batch.records[0].offset < position
      ? batch.records.filter((r) => r.offset >= position)
      : batch.records;
    try {
      this.#options.store.apply({
        changes: records.map((r) => ({ partition, key: r.key === null ? '' : r.key.toString('utf8'), value: r.value })),
        checkpoints: new Map([[partition, next]]),
      });
    } catch (err) {
      // Nothing was applied: read the batch again.
      this.#options.onError?.(err, partition);
      this.#reader?.seek({ topic: this.topic, partition, offset: this.#positions.get(partition) ?? 0 });
      return;
    }
    this.#positions.set(partition, next);
    if (next > (this.#ends.get(partition) ?? 0)) this.#ends.set(partition, next);
    this.#options.onApplied?.(records);
  }

  async #refreshEnds(): Promise<void> {
    try {
      for (const p of await this.#options.broker.admin.endOffsets(this.topic, { isolation: 'read_committed' })) {
        if (this.#positions.has(p.partition)) this.#ends.set(p.partition, p.latest);
      }
    } catch (err) {
      this.#options.onError?.(err, -1);
    }
  }
}
