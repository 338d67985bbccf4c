import type { BrokerRecord } from '../broker/broker.ts';
import type { KeyValueStore } from '../state/store.ts';
import type { LogTail } from './log-tail.ts';
import { restorePartition, type RestoreState } from './restore.ts';

export interface FollowerOptions {
  store: KeyValueStore;
  tail: LogTail;
  topic: string;
  partition: number;
  /** Records per read and store transaction. Default 5,000. */
  batchSize?: number;
  /** Wait between reads that found nothing new. Default 5 ms. */
  idleMs?: number;
  /** How often the end offset is asked for (for `lag`) while records keep coming. Default 1,000 ms. */
  boundsEveryMs?: number;
  /** After each applied batch (restore included), with the records applied. */
  onApplied?: (records: readonly BrokerRecord[]) => void;
  onRestore?: (state: RestoreState) => void;
  onError?: (err: unknown) => void;
}

/**
 * Keeps one partition of a local store following a changelog: restores it (from its checkpoint, or from scratch),
 * then applies new committed records as they appear, each batch with its checkpoint. Views run one per partition;
 * a processor with hot standby runs them for the partitions it does not own.
 */
export class PartitionFollower {
  readonly topic: string;
  readonly partition: number;
  /** Next changelog offset the store reflects. */
  position = 0;
  /** The end offset last seen. */
  end = 0;
  #restored = false;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #options: FollowerOptions;

  constructor(options: FollowerOptions) {
    this.#options = options;
    this.topic = options.topic;
    this.partition = options.partition;
  }

  /** Whether the first restore finished. */
  get restored(): boolean {
    return this.#restored;
  }

  get lag(): number {
    return Math.max(0, this.end - this.position);
  }

  /** Starts following; resolves once the partition is restored to the end seen at start. */
  start(): Promise<void> {
    let ready!: () => void;
    let failed!: (err: unknown) => void;
    const restored = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    this.#loop = this.#run(ready, failed);
    return restored;
  }

  /** Stops after the batch in progress; the store keeps what was applied. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  async #run(ready: () => void, failed: (err: unknown) => void): Promise<void> {
    const { store, tail, topic, partition } = this.#options;
    const batchSize = this.#options.batchSize ?? 5_000;
    const idleMs = this.#options.idleMs ?? 5;
    const boundsEveryMs = this.#options.boundsEveryMs ?? 1_000;
    try {
      const state = await restorePartition({
        store,
        tail,
        topic,
        partition,
        onProgress: this.#options.onRestore,
        onRecords: this.#options.onApplied,
      });
      this.position = state.position;
      this.end = state.end;
      this.#restored = true;
      ready();
    } catch (err) {
      failed(err);
      return;
    }
    let boundsAt = Date.now();
    while (!this.#stopped) {
      try {
        const records = await tail.read(topic, partition, this.position, batchSize);
        if (this.#stopped) break;
        if (records.length > 0) {
          this.position = records[records.length - 1].offset + 1;
          store.apply({
            changes: records.map((r) => ({ partition, key: r.key === null ? '' : r.key.toString('utf8'), value: r.value })),
            checkpoints: new Map([[partition, this.position]]),
          });
          this.end = Math.max(this.end, this.position);
          this.#options.onApplied?.(records);
        } else {
          this.end = Math.max(this.end, this.position);
        }
        if (Date.now() - boundsAt >= boundsEveryMs) {
          boundsAt = Date.now();
          this.end = Math.max(this.position, (await tail.bounds(topic, partition)).end);
        }
        if (records.length === 0) await this.#sleep(idleMs);
      } catch (err) {
        this.#options.onError?.(err);
        await this.#sleep(Math.max(idleMs, 500));
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
