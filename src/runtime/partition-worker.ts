import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { BrokerRecord, TopicPartition } from '../broker/broker.ts';
import type { Codec } from '../codec/codec.ts';
import { HeraldError } from '../errors.ts';
import { withCorrelationId } from './correlation.ts';
import { KeyScheduler, type OrderingMode } from './key-scheduler.ts';
import { type Handler, type MessageScope, RecordMessage, type RuntimeContext } from './message.ts';
import { OffsetTracker } from './offset-tracker.ts';

/** How one partition of one route is worked. */
export interface PartitionSettings<T> {
  group: string;
  mode: OrderingMode;
  /** Records of the partition holding a slot at once (handler running). */
  concurrency: number;
  /** Records handed over and not done at which the partition pauses; it resumes at half of it. */
  maxInFlight: number;
  /** The composed chain: middleware around the decoding handler. */
  handler: Handler<T>;
  codec: Codec<T> | undefined;
  runtime: RuntimeContext;
  logger: Logger;
  /** Called when the committable offset may have moved. */
  onProgress(): void;
  /** Backpressure: stop / restart handing over this partition's records. */
  pause(): void;
  resume(): void;
}

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/** Longest pause between re-runs of a record whose failure escaped every middleware. */
const ESCAPED_RETRY_MAX_MS = 30_000;

function shuttingDown(tp: TopicPartition): HeraldError {
  return new HeraldError('HERALD_SHUTTING_DOWN', `${tp.topic}[${tp.partition}] is being revoked or the router stops`);
}

/**
 * Runs the records of one owned partition: schedules them by key ({@link KeyScheduler}), tracks what is done
 * ({@link OffsetTracker}), and applies backpressure through the consumer's pause/resume.
 *
 * Failure semantics: a record is done only when its handler chain resolves. An error that escapes the whole chain
 * (no dead-letter middleware, or publishing the dead letter failed) never skips the record: it keeps its key
 * blocked and the chain runs again after a pause (1 s, doubling to 30 s), each time logged as an error — so the
 * committed offset of the partition stays before it until it is handled or dead-lettered.
 *
 * Closing (revocation or shutdown): no record starts any more, records waiting between retries give up at once
 * (`HERALD_SHUTTING_DOWN`, not done), running records get until the deadline, after which their signal is aborted
 * and they are abandoned. Whatever is not done is handed over again to the next owner or after the restart.
 */
export class PartitionWorker<T> {
  readonly topicPartition: TopicPartition;
  readonly tracker = new OffsetTracker();
  readonly #settings: PartitionSettings<T>;
  readonly #scheduler: KeyScheduler<RecordMessage<T>>;
  readonly #scope: MessageScope<T>;
  /** Aborted when closing starts: nothing new starts, sleeps reject. */
  readonly #closing = new AbortController();
  /** Aborted when the drain deadline passes: handlers should give up. */
  readonly #abandon = new AbortController();
  readonly #waiting = new Map<RecordMessage<T>, Waiter>();
  /** Records between start and end of their handling (including sleeps). */
  #running = 0;
  /** Resolves `close` once `#running` drops to 0. */
  #drained: (() => void) | undefined;
  #paused = false;

  constructor(topicPartition: TopicPartition, settings: PartitionSettings<T>) {
    this.topicPartition = topicPartition;
    this.#settings = settings;
    this.#scheduler = new KeyScheduler(settings.mode, settings.concurrency);
    this.#scope = {
      group: settings.group,
      runtime: settings.runtime,
      signal: this.#abandon.signal,
      logger: settings.logger,
      codec: settings.codec,
      sleep: (message, ms) => this.#sleep(message, ms),
    };
  }

  get closing(): boolean {
    return this.#closing.signal.aborted;
  }

  /** Takes a batch the consumer handed over (offset order). Returns at once; work continues in the background. */
  accept(records: BrokerRecord[]): void {
    if (this.closing) return;
    for (const record of records) {
      // A record at or below one already taken is a repeat hand-over; it is being handled already.
      if (!this.tracker.add(record.offset)) continue;
      this.#scheduler.push(new RecordMessage(record, this.#scope));
    }
    if (!this.#paused && this.tracker.inFlight >= this.#settings.maxInFlight) {
      this.#paused = true;
      this.#settings.pause();
    }
    this.#pump();
  }

  #pump(): void {
    if (this.closing) return;
    for (let message = this.#scheduler.take(); message !== undefined; message = this.#scheduler.take()) {
      const waiter = this.#waiting.get(message);
      if (waiter !== undefined) {
        this.#waiting.delete(message);
        waiter.resolve();
        continue;
      }
      this.#running += 1;
      void this.#run(message);
    }
  }

  /**
   * Runs the chain until it resolves (done) or the partition closes (not done), then hands the slot and the key on.
   * Never throws.
   */
  async #run(message: RecordMessage<T>): Promise<void> {
    const { handler } = this.#settings;
    let done = false;
    for (let escapes = 0; ; escapes++) {
      try {
        await withCorrelationId(message, handler, message);
        done = true;
        break;
      } catch (err) {
        if (this.closing) break;
        const pauseMs = Math.min(ESCAPED_RETRY_MAX_MS, 1_000 * 2 ** escapes);
        message.logger.error(
          { err, attempts: message.delivery.attempts, retryInMs: pauseMs },
          'record failed and no middleware settled it; holding its key and trying again',
        );
        try {
          await this.#sleep(message, pauseMs);
        } catch {
          break;
        }
      }
    }
    this.#running -= 1;
    if (this.#running === 0) this.#drained?.();
    this.#scheduler.finish(message);
    if (done) {
      this.tracker.done(message.offset);
      this.#settings.onProgress();
    }
    if (this.#paused && !this.closing && this.tracker.inFlight <= this.#settings.maxInFlight / 2) {
      this.#paused = false;
      this.#settings.resume();
    }
    this.#pump();
  }

  /** `Message.sleep`: gives the slot back for `ms`, keeping the key; rejects once closing. */
  async #sleep(message: RecordMessage<T>, ms: number): Promise<void> {
    if (this.closing) throw shuttingDown(this.topicPartition);
    this.#scheduler.suspend(message);
    this.#pump();
    try {
      await delay(ms, undefined, { signal: this.#closing.signal });
    } catch {
      throw shuttingDown(this.topicPartition);
    }
    await new Promise<void>((resolve, reject) => {
      if (this.closing) return reject(shuttingDown(this.topicPartition));
      this.#waiting.set(message, { resolve, reject });
      this.#scheduler.resume(message);
      this.#pump();
    });
  }

  /**
   * Stops the partition: nothing new starts, waits for running records until `deadline` (epoch ms), then aborts
   * their signal. Resolves `true` when every running record finished. The caller commits `tracker.committable`.
   */
  async close(deadline: number): Promise<boolean> {
    if (!this.closing) {
      this.#closing.abort();
      for (const [message, waiter] of this.#waiting) {
        this.#scheduler.cancelResume(message);
        waiter.reject(shuttingDown(this.topicPartition));
      }
      this.#waiting.clear();
    }
    const drained = new Promise<true>((resolve) => {
      if (this.#running === 0) return resolve(true);
      this.#drained = () => resolve(true);
    });
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    const clean = await Promise.race([drained, expired]);
    clearTimeout(timer);
    if (!clean) {
      this.#abandon.abort(shuttingDown(this.topicPartition));
      this.#settings.logger.warn(
        { ...this.topicPartition, running: this.#running },
        'drain deadline passed; abandoning running records (they will be handed over again)',
      );
    }
    return clean;
  }
}
