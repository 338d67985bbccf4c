import type { Logger } from 'pino';
import type { BrokerRecord, TopicPartition } from '../broker/port.ts';
import type { Codec } from '../codec/codec.ts';
import { HeraldError } from '../errors.ts';
import { withTimeout } from '../kit/timeout.ts';
import type { Chain } from './chain.ts';
import { CorrelationSlot, enterCorrelation } from './correlation.ts';
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
  /** The chain with its fast path (see {@link Chain}); without it every record runs `handler`. */
  chain?: Chain<T>;
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
  /** Aborted when the drain deadline passes: handlers should give up. */
  readonly #abandon = new AbortController();
  readonly #waiting = new Map<RecordMessage<T>, Waiter>();
  /**
   * Sleeps in progress (`Message.sleep`), ended early when closing starts: a map of timers rather than an abort
   * listener per sleep, as adding and removing one of those costs a walk over all the others.
   */
  readonly #sleeps = new Map<NodeJS.Timeout, () => void>();
  /** Records between start and end of their handling (including sleeps). */
  #running = 0;
  /** Resolves `close` once `#running` drops to 0. */
  #drained: (() => void) | undefined;
  #paused = false;
  /** Closing started: nothing new starts, sleeps reject. */
  #closed = false;
  /** Records wait (accepted, not started) until `release`: the partition's `onAssigned` hooks run. */
  #held = false;
  /** Aborted when closing starts, for work that waits on the partition's behalf (hooks tried again). */
  readonly #closingController = new AbortController();

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
    return this.#closed;
  }

  /** Aborted as soon as closing starts. */
  get closingSignal(): AbortSignal {
    return this.#closingController.signal;
  }

  /** Whether records wait for `release`. */
  get held(): boolean {
    return this.#held;
  }

  /** Accepted records wait (the partition still pauses once full) until `release`. */
  hold(): void {
    this.#held = true;
  }

  /** Lets waiting records start. */
  release(): void {
    this.#held = false;
    this.#pump();
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

  /** Starts what may start: a suspended record's wait ends, or a new run loop takes the record. */
  #pump(): void {
    for (let message = this.#take(); message !== undefined; message = this.#take()) void this.#loop(message);
  }

  /** The next record to run in a loop (counted as running), after waking suspended records that may go on. */
  #take(): RecordMessage<T> | undefined {
    if (this.closing || this.#held) return undefined;
    for (let message = this.#scheduler.take(); message !== undefined; message = this.#scheduler.take()) {
      const waiter = this.#waiting.size === 0 ? undefined : this.#waiting.get(message);
      if (waiter === undefined) {
        this.#running += 1;
        return message;
      }
      this.#waiting.delete(message);
      waiter.resolve();
    }
    return undefined;
  }

  /**
   * Runs `first`, then whatever may start next, one record at a time, until nothing may: a loop per slot rather
   * than an async call per record, so that a record costs one await, and one correlation context per loop (see
   * {@link CorrelationSlot}). Never throws.
   */
  async #loop(first: RecordMessage<T>): Promise<void> {
    // Starts in a microtask of its own: the correlation context entered below must not leak into the caller (the
    // consumer's delivery, or a handler calling `sleep`).
    await undefined;
    // Closing began meanwhile: the record never started, so it stays not done (handed over again later).
    if (this.closing) return this.#finish(first, false);
    const { handler, chain } = this.#settings;
    const correlation = new CorrelationSlot();
    enterCorrelation(correlation);
    for (let message: RecordMessage<T> | undefined = first; message !== undefined; message = this.#take()) {
      correlation.current = message;
      let done = true;
      try {
        if (chain?.enter(message)) {
          const clock = chain.clock();
          let succeeded = false;
          try {
            await chain.attempt(message);
            succeeded = true;
          } catch (err) {
            await chain.recover(message, err, clock);
          }
          // Outside the attempt's try: a failing success hook is not a failed attempt to retry (it escapes, as an
          // error in a wrapper after `next` would).
          if (succeeded) chain.succeeded(message, clock);
        } else {
          await handler(message);
        }
      } catch (err) {
        done = await this.#escaped(message, err);
      }
      this.#finish(message, done);
    }
  }

  /**
   * After a failure escaped every middleware: runs the chain again after a pause until it resolves (done) or the
   * partition closes (not done).
   */
  async #escaped(message: RecordMessage<T>, failure: unknown): Promise<boolean> {
    let err = failure;
    for (let escapes = 0; ; escapes++) {
      if (this.closing) return false;
      const pauseMs = Math.min(ESCAPED_RETRY_MAX_MS, 1_000 * 2 ** escapes);
      message.logger.error(
        { err, attempts: message.handling.attempts, retryInMs: pauseMs },
        'record failed and no middleware settled it; holding its key and trying again',
      );
      try {
        await this.#sleep(message, pauseMs);
      } catch {
        return false;
      }
      try {
        await this.#settings.handler(message);
        return true;
      } catch (next) {
        err = next;
      }
    }
  }

  /**
   * Hands the slot and the key on; a done record moves the committable offset — once the work it holds the commit
   * for (`Message.holdCommit`) has settled, counting as running until then.
   */
  #finish(message: RecordMessage<T>, done: boolean): void {
    this.#scheduler.finish(message);
    const holds = message.commitHolds;
    if (!done || holds === undefined) return this.#settle(message, done);
    message.commitHolds = undefined;
    void Promise.allSettled(holds).then(() => this.#settle(message, true));
  }

  #settle(message: RecordMessage<T>, done: boolean): void {
    this.#running -= 1;
    if (this.#running === 0) this.#drained?.();
    if (done) {
      this.tracker.done(message.offset);
      this.#settings.onProgress();
    }
    if (this.#paused && !this.closing && this.tracker.inFlight <= this.#settings.maxInFlight / 2) {
      this.#paused = false;
      this.#settings.resume();
    }
  }

  /** `Message.sleep`: gives the slot back for `ms`, keeping the key; rejects once closing. */
  async #sleep(message: RecordMessage<T>, ms: number): Promise<void> {
    if (this.closing) throw shuttingDown(this.topicPartition);
    this.#scheduler.suspend(message);
    this.#pump();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#sleeps.delete(timer);
        resolve();
      }, ms);
      this.#sleeps.set(timer, () => reject(shuttingDown(this.topicPartition)));
    });
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
      this.#closed = true;
      this.#closingController.abort();
      for (const [timer, wake] of this.#sleeps) {
        clearTimeout(timer);
        wake();
      }
      this.#sleeps.clear();
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
    const clean = await withTimeout(drained, deadline - Date.now(), () => false);
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
