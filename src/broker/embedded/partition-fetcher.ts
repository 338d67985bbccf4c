import type { BrokerRecord, TopicPartition } from '../port.ts';
import type { Notifier } from './notifier.ts';
import type { PartitionLog } from './partition-log.ts';
import { type RecordRow, toBrokerRecord } from './records.ts';

/** Wait before reading again after the storage failed. */
const READ_RETRY_MS = 1_000;

/**
 * Hands a batch to the listener with the next offset to read after it; settles (never rejects) when the listener
 * is done with it.
 */
export type Deliver = (records: BrokerRecord[], next: number) => Promise<void>;

/**
 * Feeds one owned partition to a consumer: reads a batch at `position`, hands it over, and reads the next only when
 * the listener has settled the previous one (per-partition backpressure). At the end of the log it waits on the
 * notifier instead of polling.
 */
export class PartitionFetcher {
  readonly log: PartitionLog;
  readonly topicPartition: TopicPartition;
  /** Offset of the next record to hand over. */
  position: number;
  #paused = false;
  #stopped = false;
  #started = false;
  #scheduled = false;
  #inFlight: Promise<void> | null = null;
  #cancelWait: (() => void) | null = null;
  #retry: NodeJS.Timeout | null = null;
  readonly #onError: (err: unknown) => void;
  readonly #notifier: Notifier;
  readonly #maxBatchSize: number;
  readonly #deliver: Deliver;
  readonly #reportSkips: boolean;

  /** `reportSkips`: hand over an empty batch when the position jumps over offsets without records. */
  constructor(
    log: PartitionLog,
    position: number,
    notifier: Notifier,
    maxBatchSize: number,
    deliver: Deliver,
    onError: (err: unknown) => void,
    reportSkips = false,
  ) {
    this.#reportSkips = reportSkips;
    this.#onError = onError;
    this.log = log;
    this.topicPartition = { topic: log.topic.name, partition: log.partition };
    this.position = position;
    this.#notifier = notifier;
    this.#maxBatchSize = maxBatchSize;
    this.#deliver = deliver;
  }

  /** Begins delivering (after `onAssigned` has settled). */
  start(): void {
    this.#started = true;
    this.#schedule();
  }

  seek(offset: number): void {
    this.position = offset;
    this.#schedule();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#schedule();
  }

  /** Hands over nothing more, ever. */
  stop(): void {
    this.#stopped = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    this.#cancelWait?.();
    this.#cancelWait = null;
  }

  /** Settles when the batch the listener is working on (if any) is done. */
  settled(): Promise<void> {
    return this.#inFlight ?? Promise.resolve();
  }

  #schedule(): void {
    if (this.#scheduled || this.#stopped || !this.#started || this.#retry !== null) return;
    this.#scheduled = true;
    // A macrotask, not a microtask: a listener that settles at once must not starve I/O and the group commit.
    setImmediate(() => this.#pump());
  }

  #pump(): void {
    this.#scheduled = false;
    if (this.#stopped || this.#paused || this.#inFlight !== null || this.log.topic.deleted) return;
    this.#cancelWait?.();
    this.#cancelWait = null;
    let rows: RecordRow[];
    try {
      rows = this.position < this.log.next ? this.log.read(this.position, this.#maxBatchSize) : [];
    } catch (err) {
      // A storage failure must not crash the process from a timer callback: report it and try again later.
      this.#onError(err);
      this.#retry = setTimeout(() => {
        this.#retry = null;
        this.#schedule();
      }, READ_RETRY_MS);
      return;
    }
    if (rows.length === 0) {
      // Caught up (records up to `next` may be gone to compaction or retention): sleep until the next append.
      if (this.position < this.log.next) {
        this.position = this.log.next;
        if (this.#reportSkips) {
          this.#handOver([], this.position);
          return;
        }
      }
      this.#cancelWait = this.#notifier.wait(this.log.id, () => {
        this.#cancelWait = null;
        this.#schedule();
      });
      return;
    }
    const { topic, partition } = this.topicPartition;
    const records: BrokerRecord[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) records[i] = toBrokerRecord(topic, partition, rows[i]);
    this.position = rows[rows.length - 1][0] + 1;
    this.#handOver(records, this.position);
  }

  #handOver(records: BrokerRecord[], next: number): void {
    const inFlight = this.#deliver(records, next).then(() => {
      this.#inFlight = null;
      this.#schedule();
    });
    this.#inFlight = inFlight;
  }
}
