import type { Logger } from 'pino';
import type { Producer } from '../broker/port.ts';
import type { Component } from '../platform/lifecycle.ts';
import { type OutboxRow, toRecord } from './message.ts';
import type { OutboxReader, OutboxStore } from './store.ts';

export interface OutboxRelayOptions {
  store: OutboxStore;
  /** Where rows are published; `send` must resolve only once the records are durable (the broker port's contract). */
  producer: Producer;
  logger: Logger;
  /** Component name (logs, lifecycle). Default `outbox-relay`. */
  name?: string;
  /** The topic of an aggregate type. Default: the aggregate type itself. */
  route?: (aggregateType: string) => string;
  /** Most rows per fetch and per send. Default 500. */
  batchSize?: number;
  /** Polls this often even without a wake-up (a missed notification costs at most this). Default 5,000 ms. */
  fallbackPollMs?: number;
  /** Delay before retrying a failed send, fetch or mark: doubling from `initialMs` up to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
  /** Deletes published rows older than `retentionMs`, every `intervalMs`; `false` keeps them. */
  cleanup?: { intervalMs: number; retentionMs: number; batchSize?: number } | false;
  /**
   * Called after a batch is durable in the broker and marked (metrics, latency measurement). Also where a
   * tracing span of the relay's produce will end.
   */
  onPublished?: (rows: readonly OutboxRow[], publishedAt: number) => void;
}

const DEFAULT_CLEANUP = { intervalMs: 10_000, retentionMs: 300_000, batchSize: 5_000 };

/**
 * Publishes outbox rows to the broker: fetches unpublished rows in the store's order, sends them in one
 * `producer.send` (records of one key go to one partition, appended in the order given), and only once the broker
 * has them durably marks them published; then the next batch. A lifecycle {@link Component}.
 *
 * - Nothing committed is lost: a row is marked only after its send resolved, and a failed send is retried (with
 *   backoff) before anything after it — forever, never skipped.
 * - Nothing is invented: stores hand over only committed rows.
 * - Per-key order: batches go one at a time, each in the store's order (per aggregate, commit order).
 * - Duplicates: a crash between a send and its mark publishes that batch again after the restart — at most
 *   `batchSize` records per crash, each with the same event id (consumers dedupe on it or on the version).
 * - Latency: woken by the store at commit, not by a timer; `fallbackPollMs` only bounds a lost wake-up.
 * - `stop()` lets the batch in flight finish (send and mark), then ends the store session.
 */
export class OutboxRelay implements Component {
  readonly name: string;
  readonly #o: Required<Omit<OutboxRelayOptions, 'onPublished' | 'cleanup'>> &
    Pick<OutboxRelayOptions, 'onPublished'> & { cleanup: Required<Exclude<OutboxRelayOptions['cleanup'], false | undefined>> | false };
  readonly #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #reader: OutboxReader | undefined;
  #dirty = true;
  #wakeUp: (() => void) | undefined;
  #cleanupTimer: NodeJS.Timeout | undefined;
  #cleaning: Promise<void> | undefined;
  #published = 0;

  constructor(options: OutboxRelayOptions) {
    this.name = options.name ?? 'outbox-relay';
    this.#o = {
      route: (type) => type,
      batchSize: 500,
      fallbackPollMs: 5_000,
      backoff: { initialMs: 50, maxMs: 5_000 },
      name: this.name,
      ...options,
      cleanup: options.cleanup === false ? false : { ...DEFAULT_CLEANUP, ...options.cleanup },
    };
  }

  /** Rows published since start (duplicates after a crash included). */
  get published(): number {
    return this.#published;
  }

  /** Starts relaying in the background (a PostgreSQL relay may first wait for another process's to stop). */
  async start(): Promise<void> {
    this.#loop = this.#run().catch((err: unknown) => {
      this.#o.logger.error({ err, component: this.name }, 'outbox relay stopped unexpectedly');
    });
    const { cleanup } = this.#o;
    if (cleanup !== false) {
      this.#cleanupTimer = setInterval(() => {
        this.#cleaning ??= this.#cleanup(cleanup).finally(() => (this.#cleaning = undefined));
      }, cleanup.intervalMs);
      this.#cleanupTimer.unref();
    }
  }

  /** Wakes the relay as a commit notification does (for writers the store cannot observe). */
  wake(): void {
    this.#dirty = true;
    this.#wakeUp?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.#cleanupTimer);
    this.#stopping.abort();
    this.#wakeUp?.();
    await this.#loop;
    await this.#cleaning;
    await this.#closeReader();
  }

  async #run(): Promise<void> {
    let failures = 0;
    let heldBackDelay = 1;
    while (!this.#stopping.signal.aborted) {
      try {
        this.#reader ??= await this.#o.store.openRelay(() => this.wake(), this.#stopping.signal);
        this.#dirty = false;
        const batch = await this.#reader.fetch(this.#o.batchSize);
        failures = 0;
        if (batch.rows.length > 0) {
          heldBackDelay = 1;
          await this.#publish(this.#reader, batch.rows);
        } else if (batch.heldBack) {
          // Committed rows wait for an older transaction to end, which may not notify: look again soon.
          await this.#sleep(heldBackDelay, true);
          heldBackDelay = Math.min(heldBackDelay * 2, 50);
        } else {
          await this.#sleep(this.#o.fallbackPollMs, true);
        }
      } catch (err) {
        if (this.#stopping.signal.aborted) break;
        failures++;
        this.#o.logger.warn({ err, component: this.name, failures }, 'outbox relay: store failed; reconnecting');
        await this.#closeReader();
        await this.#sleep(this.#delay(failures), false);
      }
    }
  }

  /** Sends until the broker has the batch (never skipping it), then marks it; gives up only when stopping. */
  async #publish(reader: OutboxReader, rows: OutboxRow[]): Promise<void> {
    const records = rows.map((row) => toRecord(row, this.#o.route));
    for (let attempt = 1; ; attempt++) {
      try {
        // Tracing seam: a `send <topic>` span per record, parented by the traceparent header the row carries.
        await this.#o.producer.send(records);
        break;
      } catch (err) {
        // Stopping: the rows stay unpublished and go out after the restart.
        if (this.#stopping.signal.aborted) return;
        this.#o.logger.warn({ err, component: this.name, rows: rows.length, attempt }, 'outbox relay: send failed; retrying');
        await this.#sleep(this.#delay(attempt), false);
        if (this.#stopping.signal.aborted) return;
      }
    }
    const publishedAt = Date.now();
    this.#published += rows.length;
    // A failed mark is thrown to the loop, which reconnects and fetches the rows again: duplicates, not losses.
    await reader.markPublished(
      rows.map((r) => r.id),
      publishedAt,
    );
    this.#o.onPublished?.(rows, publishedAt);
  }

  async #cleanup(cleanup: { retentionMs: number; batchSize: number }): Promise<void> {
    const reader = this.#reader;
    if (reader === undefined) return;
    try {
      const before = Date.now() - cleanup.retentionMs;
      let deleted = 0;
      for (;;) {
        const n = await reader.deletePublished(before, cleanup.batchSize);
        deleted += n;
        if (n < cleanup.batchSize || this.#stopping.signal.aborted) break;
      }
      if (deleted > 0) this.#o.logger.debug({ component: this.name, deleted }, 'outbox relay: cleaned up published rows');
    } catch (err) {
      this.#o.logger.warn({ err, component: this.name }, 'outbox relay: cleanup failed; will try again');
    }
  }

  #delay(failures: number): number {
    const { initialMs, maxMs } = this.#o.backoff;
    return Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 20));
  }

  /** Waits `ms`, or less when stopping — or, if `wakeable`, when woken (returns at once when already woken). */
  #sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.#stopping.signal.aborted || (wakeable && this.#dirty)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeUp = undefined;
        this.#stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#stopping.signal.addEventListener('abort', done, { once: true });
      if (wakeable) this.#wakeUp = done;
    });
  }

  async #closeReader(): Promise<void> {
    const reader = this.#reader;
    this.#reader = undefined;
    await reader?.close().catch(() => {});
  }
}
