import type { Logger } from 'pino';
import type { Broker, BrokerRecord, Headers, Producer } from '../broker/port.ts';
import type { Codec } from '../codec/codec.ts';
import { HeraldError } from '../errors.ts';
import { compose as composeWrappers } from '../kit/compose.ts';
import type { TopicDeclaration } from '../topology/declaration.ts';
import { correlationIdOf } from './correlation.ts';

/**
 * Handles one record. Resolving means done: the record may be committed once every earlier record of its partition
 * is done too. Throwing means this attempt failed; the middleware around it (retry, dead letter) decides what
 * happens next, and an error that escapes all of it leaves the record not done (see `Router`).
 */
export type Handler<T = unknown> = (message: Message<T>) => Promise<void>;

/**
 * Wraps a handler: the one shape of every cross-cutting concern (retry, dead letters, dedupe, timeout, tracing,
 * metrics). A middleware may act before and after `next`, call it again, skip it, or turn its errors into success.
 * It may carry a `start` hook (see {@link MiddlewareHooks}).
 */
export type Middleware<T = unknown> = ((next: Handler<T>) => Handler<T>) & MiddlewareHooks;

/** Where a middleware is used: one handler registration of a router. */
export interface Registration {
  topic: string;
  group: string;
  /** The router's name. */
  router: string;
  runtime: RuntimeContext;
}

/** One partition of a registration that this member owns, as partition hooks see it. */
export interface PartitionScope extends Registration {
  partition: number;
  /** The router's logger bound to the group, topic and partition. */
  logger: Logger;
}

/**
 * What state kept per partition needs from the runtime (restore on assign, flush before commit, close on revoke).
 * Middleware may carry these, and a handler may be given them (`HandlerOptions.hooks`). For one partition they run
 * in order — `onAssigned`, then any number of `beforeCommit`, then `onRevoked` — and never overlap.
 */
export interface PartitionHooks {
  /**
   * The partition was assigned to this member. Runs before any of its records: they wait (and the partition pauses
   * once full) until every `onAssigned` of the registration resolved. A rejection is logged and the hook tried
   * again after a pause (1 s, doubling to 30 s) until it resolves or the partition is revoked; no record of the
   * partition runs meanwhile.
   */
  onAssigned?(scope: PartitionScope): Promise<void> | void;
  /**
   * The partition's committed offset is about to move to `offset` (every record before it is done): make durable
   * what those records left pending (buffered state, a batch). Awaited before the commit; a rejection is logged and
   * that commit skipped — retried with the next progress — so the offset never passes unflushed work.
   */
  beforeCommit?(scope: PartitionScope, offset: number): Promise<void> | void;
  /**
   * The partition is given up (rebalance, stop): its records have drained or were abandoned and its last commit
   * was made. Close what `onAssigned` opened. A rejection is logged.
   */
  onRevoked?(scope: PartitionScope): Promise<void> | void;
}

export interface MiddlewareHooks extends PartitionHooks {
  /**
   * The topics the middleware needs for a registration it is part of (a dead-letter topic, a topic of its own),
   * part of the router's declared topology: validated and created before anything runs, never on first use.
   */
  topics?(registration: Registration): TopicDeclaration[];
  /**
   * Called by `Router.start()` for every registration the middleware is part of, after the topology exists and
   * before any group joins; a rejection fails the start. For state that must be ready before the first record
   * (dedupe loads its ids).
   */
  start?(registration: Registration): Promise<void>;
}

/** Composes `middleware` around `handler`; the first middleware is the outermost. */
export function compose<T>(middleware: readonly Middleware<T>[], handler: Handler<T>): Handler<T> {
  return composeWrappers(middleware, handler);
}

/** How one attempt of the handler went. */
export interface AttemptOutcome {
  /** 1 for the first attempt. */
  attempt: number;
  durationMs: number;
  /** Set when the attempt threw. */
  error?: unknown;
}

/**
 * What happened to a record so far in this process. Written by the runtime (attempts) and by middleware
 * (`deadLettered`, `skipped`); read by retry, dead-letter and metrics middleware.
 */
export class Handling {
  /** Handler attempts so far (a redelivery after a restart starts again at 0). */
  attempts = 0;
  firstAttemptAt: number | undefined;
  lastAttemptAt: number | undefined;
  lastError: unknown;
  /** The dead-letter middleware published the record to its dead-letter topic. */
  deadLettered = false;
  /** A middleware decided not to run the handler (e.g. dedupe saw the id before). */
  skipped = false;
  // Allocated by the first observer only: most records are never observed (no metrics middleware).
  #observers: ((outcome: AttemptOutcome) => void)[] | undefined;

  /** Calls `observer` after every attempt from now on. */
  observe(observer: (outcome: AttemptOutcome) => void): void {
    this.#observers ??= [];
    this.#observers.push(observer);
  }

  /** Whether something observes the attempts (then they must run through `attempt`). */
  get observed(): boolean {
    return this.#observers !== undefined;
  }

  /**
   * Records that an attempt starts at `started` (epoch ms), for a caller that runs the handler itself and sets
   * `lastError` if it fails (the runtime's fast path, only while nothing observes). `attempt` does this itself.
   */
  begin(started = Date.now()): void {
    this.attempts += 1;
    this.firstAttemptAt ??= started;
    this.lastAttemptAt = started;
  }

  /** Runs one attempt: `handler(message)`, recorded. */
  async attempt<T>(handler: Handler<T>, message: Message<T>): Promise<void> {
    this.begin();
    const observers = this.#observers;
    if (observers === undefined) {
      try {
        return await handler(message);
      } catch (error) {
        this.lastError = error;
        throw error;
      }
    }
    const attempt = this.attempts;
    const clock = performance.now();
    try {
      await handler(message);
    } catch (error) {
      this.lastError = error;
      for (const observer of observers) observer({ attempt, durationMs: performance.now() - clock, error });
      throw error;
    }
    for (const observer of observers) observer({ attempt, durationMs: performance.now() - clock });
  }
}

/** Something a middleware shares across records, living as long as the router (e.g. the dedupe store). */
export interface SharedResource {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What the runtime offers middleware besides the message. */
export interface RuntimeContext {
  readonly broker: Broker;
  /** The router's producer, closed by the router after its consumers have stopped. */
  readonly producer: Producer;
  /**
   * The one instance for `key` in this router: created and started by the first caller (concurrent callers await
   * the same start), stopped when the router stops, after its consumers.
   */
  shared<R extends SharedResource>(key: string, create: () => R): Promise<R>;
}

/** A record as a handler sees it. */
export interface Message<T = unknown> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The key as UTF-8 text (`record.key` has the bytes); `null` without a key. */
  readonly key: string | null;
  readonly headers: Headers;
  readonly timestamp: number;
  /**
   * The value, decoded by the handler's codec on first read (raw `Buffer | null` without a codec). Throws
   * `HERALD_DECODE_FAILED` (not retriable) when the bytes are not a valid `T` or the record is a tombstone.
   */
  readonly value: T;
  readonly record: BrokerRecord;
  readonly group: string;
  /** From `herald.correlation-id`, else `x-request-id`, else made up; records emitted while handling carry it. */
  readonly correlationId: string;
  /** A child of the router's logger (which names the group) bound to topic, partition, offset and correlation id. */
  readonly logger: Logger;
  /**
   * Aborted when the runtime stops waiting for this attempt: the drain deadline of a shutdown or revocation passed,
   * or a timeout middleware gave up. Pass it to I/O so that abandoned work stops.
   */
  readonly signal: AbortSignal;
  /** What happened to the record so far in this process: attempts, dead-lettered, skipped. */
  readonly handling: Handling;
  readonly runtime: RuntimeContext;
  /**
   * Waits `ms` without holding one of the partition's concurrency slots (other keys use it meanwhile) while still
   * holding this record's key, so later records of the key keep waiting. Rejects with `HERALD_SHUTTING_DOWN` as
   * soon as the partition is being revoked or the router is stopping: the record is then left not done, and is
   * handed over again after the restart or to the partition's next owner.
   */
  sleep(ms: number): Promise<void>;
  /**
   * Keeps the partition's commit from passing this record until `work` settles, without holding the record's key:
   * for bookkeeping that must be in place before the record counts as done (a crash before it is in place hands
   * the record over again) but that later records of the key need not wait for. The record is done once its
   * handler resolved and every held `work` settled, fulfilled or not (handle rejections in `work`). A partition
   * that closes waits for held work like for running handlers, up to its drain deadline.
   */
  holdCommit(work: Promise<unknown>): void;
}

/** What a message needs from the partition that handed it over. */
export interface MessageScope<T> {
  readonly group: string;
  readonly runtime: RuntimeContext;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly codec: Codec<T> | undefined;
  /** `Message.sleep` of `message`. */
  sleep(message: RecordMessage<T>, ms: number): Promise<void>;
}

const unset = Symbol('unset');

/** A {@link Message} over a broker record: value, key and logger are computed on first use. */
export class RecordMessage<T> implements Message<T> {
  readonly record: BrokerRecord;
  /** Made on first use (see `handling`): most records never need one. */
  private handlingState: Handling | undefined;
  /** When the runtime's fast path began the first attempt without a `Handling` (see `beginFirstAttempt`). */
  private fastStart: number | undefined;
  readonly signal: AbortSignal;
  // TypeScript-private rather than `#private`: messages derived with `Object.create` (see `withSignal`) read them
  // through the prototype chain, which `#private` fields do not allow.
  private readonly scope: MessageScope<T>;
  private decoded: T | typeof unset = unset;
  private decodeError: unknown;
  private childLogger: Logger | undefined;
  private correlation: string | undefined;
  /** The key scheduler's note (see `Schedulable`). */
  laneState: unknown = undefined;
  /** Work the commit waits for (see `holdCommit`); set on the original message, never on derived ones. */
  commitHolds: Promise<unknown>[] | undefined;
  /** The message itself: messages derived with `Object.create` (see `withSignal`) reach the original through it. */
  private readonly origin: RecordMessage<T>;

  constructor(record: BrokerRecord, scope: MessageScope<T>) {
    this.record = record;
    this.scope = scope;
    this.origin = this;
    this.signal = scope.signal;
  }

  /** The key's bytes, by which the key scheduler orders records (see `Schedulable`). */
  get laneKey(): Buffer | null {
    return this.record.key;
  }

  /** What happened to the record so far; made on first use. */
  get handling(): Handling {
    if (this.handlingState === undefined) {
      const handling = new Handling();
      if (this.fastStart !== undefined) handling.begin(this.fastStart);
      this.handlingState = handling;
    }
    return this.handlingState;
  }

  /**
   * The runtime's fast path: records that the first attempt begins at `at` without making a `Handling` (one is
   * made, with that attempt in it, if anything asks). `false` when a `Handling` exists already; the caller then
   * records the attempt on it.
   */
  beginFirstAttempt(at: number): boolean {
    if (this.handlingState !== undefined) return false;
    this.fastStart = at;
    return true;
  }

  /** Whether a middleware or the handler marked the record skipped, without making a `Handling` to ask. */
  get skipped(): boolean {
    return this.handlingState?.skipped ?? false;
  }

  get correlationId(): string {
    this.correlation ??= correlationIdOf(this.record.headers);
    return this.correlation;
  }

  get topic(): string {
    return this.record.topic;
  }
  get partition(): number {
    return this.record.partition;
  }
  get offset(): number {
    return this.record.offset;
  }
  get headers(): Headers {
    return this.record.headers;
  }
  get timestamp(): number {
    return this.record.timestamp;
  }
  get key(): string | null {
    return this.record.key === null ? null : this.record.key.toString('utf8');
  }
  get group(): string {
    return this.scope.group;
  }
  get runtime(): RuntimeContext {
    return this.scope.runtime;
  }

  get value(): T {
    if (this.decoded !== unset) return this.decoded;
    if (this.decodeError !== undefined) throw this.decodeError;
    const { codec } = this.scope;
    const bytes = this.record.value;
    try {
      if (codec === undefined) this.decoded = bytes as T;
      else if (bytes === null) throw new HeraldError('HERALD_DECODE_FAILED', `${codec.name}: the record has no value`);
      else this.decoded = codec.decode(bytes);
    } catch (err) {
      this.decodeError =
        err instanceof HeraldError ? err : new HeraldError('HERALD_DECODE_FAILED', undefined, { cause: err });
      throw this.decodeError;
    }
    return this.decoded as T;
  }

  get logger(): Logger {
    this.childLogger ??= this.scope.logger.child({
      topic: this.record.topic,
      partition: this.record.partition,
      offset: this.record.offset,
      correlationId: this.correlationId,
    });
    return this.childLogger;
  }

  sleep(ms: number): Promise<void> {
    return this.scope.sleep(this, ms);
  }

  holdCommit(work: Promise<unknown>): void {
    const { origin } = this;
    origin.commitHolds ??= [];
    origin.commitHolds.push(work);
  }
}

/** `message.handling.skipped`, without making a `Handling` where none was needed yet. */
export function wasSkipped(message: Message<unknown>): boolean {
  return message instanceof RecordMessage ? message.skipped : message.handling.skipped;
}

/** The same message with another abort signal (what a timeout middleware hands down). */
export function withSignal<T>(message: Message<T>, signal: AbortSignal): Message<T> {
  // Made now on the original, so that both share it (a getter on the derived message would make its own).
  void message.handling;
  return Object.create(message, { signal: { value: signal, enumerable: true } }) as Message<T>;
}
