import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { type Component, HeraldError } from '#herald';
import { Generations, scriptBeside, ThreadLink, TurnBatcher } from '#herald/kit';
import { type EventMeta, newEventId } from '../event.ts';
import type { FromStatusThread, ToStatusThread } from './protocol.ts';
import { openStatusDb, readStatements, type StatusWrite } from './schema.ts';
import {
  type DeliveryRow,
  type DeliveryState,
  type DestinationStatus,
  destinationStatus,
  type EventStatus,
  iso,
  pendingStatus,
} from './view.ts';

/** One HTTP attempt's result, as the status store records it. */
export interface AttemptRecord {
  ok: boolean;
  error?: string;
  /** When the attempt began (epoch ms). */
  at: number;
  /** When the destination answered (epoch ms; default `at`): a delivery's `deliveredAt`. */
  answeredAt?: number;
}

/**
 * Finished (delivered or dead) events this process remembers, to answer `finalState` without a query: this many
 * across the destinations, split evenly between them.
 */
const RECENT_CAPACITY = 200_000;
/** Events accepted up to this long after the process started are still looked up in the file (clock skew). */
const CLOCK_SLACK_MS = 5_000;

/** Longest error text kept per delivery; destination error bodies can be large. */
const MAX_ERROR_CHARS = 500;

export interface StatusStoreOptions {
  /** The SQLite file (created with its directory). */
  file: string;
  /** Ids of the configured destinations: a destination with no entry for an event is `pending` there. */
  destinations: string[];
  /** Events accepted longer ago than this, finished everywhere, are purged. */
  retentionMs: number;
  logger: Logger;
  /** How often the purge runs. Default one minute. */
  purgeEveryMs?: number;
  /** The writing thread's entry (tests substitute one); default `thread.ts`. */
  threadScript?: URL;
}

/** A batch sent to the thread, waiting for its answer. */
interface Waiting {
  resolve(answer: { purged?: number }): void;
  reject(err: unknown): void;
}

/** A message in flight: its callers, and its writes when it is a write batch (kept to send again). */
interface InFlight {
  waiters: Waiting[];
  writes?: StatusWrite[];
}

/** Waits between tries of status writes that failed for a passing cause: doubling from the first to the last. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;
/** How long delivery attempts gather before they go to the status thread together. */
const ATTEMPTS_EVERY_MS = 5;

/**
 * Per-event, per-destination delivery status in a SQLite file under the data dir (WAL, `synchronous=NORMAL`: a
 * committed write survives `kill -9` of Herald; only an OS crash may lose the newest). Writes are queued and sent to
 * a thread of the store's own — attempts every few milliseconds, everything else once per event-loop turn —
 * which commits each batch in one transaction; the returned promise resolves after that commit. Thousands of
 * status changes a second cost the event loop a few messages, and none of the SQLite work. Reads (`get`, `state`)
 * use a connection of their own here and see every write whose promise has resolved. If the thread dies, its
 * unanswered writes reject and the next write starts another. Writes that fail for a cause that passes (a full
 * disk, an I/O error) are tried again, backing off to every {@link RETRY_MAX_MS} ms, their promises still pending —
 * so a sender holding its commit for one keeps the record uncommitted until its status is written, and status
 * converges once the disk recovers; on `stop` they get one last try.
 *
 * Status is advisory and trails delivery: it is written after the attempt it describes, so a crash in between
 * can leave an event `pending` that the destination already has; the redelivery after restart then records it.
 */
export class StatusStore implements Component {
  readonly name = 'delivery-status';
  readonly stage = 'threads' as const;
  readonly #options: StatusStoreOptions;
  #db: DatabaseSync | undefined;
  #statements: ReturnType<typeof readStatements> | undefined;
  #thread: ThreadLink<ToStatusThread, FromStatusThread> | undefined;
  /**
   * Writes of this turn that someone waits for, each with its caller, sent to the thread as one batch: acceptances
   * (the API answers after them), filtered and dead-lettered events (their records complete after them).
   */
  readonly #queue = new TurnBatcher<{ writes: StatusWrite[]; waiter: Waiting }>((batch) => this.#flush(batch));
  /**
   * Delivery attempts of the last {@link ATTEMPTS_EVERY_MS} ms, sent as one batch: only offset commits wait for
   * them (the sender holds its commit for each), which come every few hundred milliseconds. Sent once a turn, they woke the
   * sleeping status thread over a thousand times a second at 5,000 events/s (~20 µs of CPU a wake on a 2-core VM).
   */
  readonly #attempts = new TurnBatcher<{ writes: StatusWrite[]; waiter: Waiting }>((batch) => this.#flush(batch), ATTEMPTS_EVERY_MS);
  /** Messages sent and not answered, by sequence number. */
  readonly #sent = new Map<number, InFlight>();
  /** Write batches that failed for a passing cause, to send again when {@link #retryTimer} fires. */
  #failed: InFlight[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs = 0;
  /** Set by `stop`: a failed batch is rejected, not tried again. */
  #stopping = false;
  /** Called when the last unanswered batch is answered (`stop` waits for it). */
  #answered: (() => void) | undefined;
  #seq = 0;
  #purgeTimer: NodeJS.Timeout | undefined;
  /**
   * What this process recorded as finished, per destination by event id, the oldest forgotten first. Keyed by the
   * id string itself rather than an id-and-destination string made per call: such a key is a new string each time,
   * flattened and hashed for each of the two lookups an attempt makes.
   */
  readonly #recent = new Map<string, Generations<string, DeliveryState>>();
  #startedAt = 0;
  /** Recording an acceptance failed in this process: some events it accepted may be missing from the file. */
  #acceptedLost = false;

  constructor(options: StatusStoreOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    mkdirSync(path.dirname(this.#options.file), { recursive: true });
    const db = openStatusDb(this.#options.file);
    this.#db = db;
    this.#statements = readStatements(db);
    this.#startedAt = Date.now();
    this.#thread = this.#link();
    this.#thread.start();
    this.#purgeTimer = setInterval(() => {
      this.purge().catch((err: unknown) => this.#options.logger.warn({ err }, 'purging delivery statuses failed'));
    }, this.#options.purgeEveryMs ?? 60_000);
    this.#purgeTimer.unref();
  }

  /** Sends what is queued, waits for every answer, then closes the thread and the database. */
  async stop(): Promise<void> {
    clearInterval(this.#purgeTimer);
    this.#stopping = true;
    if (this.#thread !== undefined) {
      this.#queue.flushNow();
      this.#attempts.flushNow();
      this.#retryNow();
      if (this.#sent.size > 0) await new Promise<void>((resolve) => (this.#answered = resolve));
      await this.#thread.close();
    }
    this.#db?.close();
    this.#db = undefined;
    this.#statements = undefined;
  }

  /** Events just made durable in the source topic: known from now on, `pending` everywhere. */
  accepted(events: EventMeta[]): Promise<void> {
    const written = this.#enqueue(events.map((e): StatusWrite => ['event', e.id, e.userId, e.receivedAtMs]));
    written.catch(() => {
      this.#acceptedLost = true;
    });
    return written;
  }

  /**
   * One HTTP attempt to `destination` ended; `ok` marks the event delivered there. `first` (the first attempt in
   * this process) also records the event itself if the API's record may be missing: the event was accepted before
   * this process started (a crash may have lost that record), or recording an acceptance failed here.
   */
  attempted(event: EventMeta, destination: string, attempt: AttemptRecord, first = true): Promise<void> {
    const error = attempt.ok ? null : truncate(attempt.error ?? 'failed');
    if (attempt.ok) this.#remember(event.id, destination, 'delivered');
    else if (this.#recentOf(destination).get(event.id) === 'dead') {
      this.#recentOf(destination).delete(event.id); // a replay: pending again
    }
    const state = attempt.ok ? 'delivered' : 'pending';
    const write: StatusWrite = ['attempt', event.id, destination, state, error, attempt.at, attempt.answeredAt ?? attempt.at];
    return this.#enqueue(
      first && (this.#acceptedLost || this.#acceptedEarlier(event))
        ? [['event', event.id, event.userId, event.receivedAtMs], write]
        : [write],
      this.#attempts,
    );
  }

  /** A transform filtered the event out for `destination`: nothing to send, so it counts as delivered. */
  filtered(event: EventMeta, destination: string, at = Date.now()): Promise<void> {
    this.#remember(event.id, destination, 'delivered');
    return this.#enqueueAfterAttempts([
      ['event', event.id, event.userId, event.receivedAtMs],
      ['filtered', event.id, destination, at],
    ]);
  }

  /** The event was dead-lettered for `destination` (retries exhausted, permanent failure, or untransformable). */
  dead(event: EventMeta, destination: string, error: string, at = Date.now()): Promise<void> {
    if (this.#recentOf(destination).get(event.id) !== 'delivered') {
      this.#remember(event.id, destination, 'dead');
    }
    return this.#enqueueAfterAttempts([
      ['event', event.id, event.userId, event.receivedAtMs],
      ['dead', event.id, destination, truncate(error), at],
    ]);
  }

  /** The committed state of one event at one destination; `undefined` when nothing was recorded yet. */
  state(eventId: string, destination: string): DeliveryState | undefined {
    const row = this.#st.state.get(eventId, destination) as { state: DeliveryState } | undefined;
    return row?.state;
  }

  /**
   * Whether the event is finished (delivered or dead) at `destination`, answered cheaply: from memory for what this
   * process recorded, and from the file only for events accepted before this process started — the only ones an
   * earlier run can have finished. `undefined`: not finished as far as this instance knows.
   */
  finalState(event: EventMeta, destination: string): 'delivered' | 'dead' | undefined {
    const known = this.#recentOf(destination).get(event.id);
    if (known === 'delivered' || known === 'dead') return known;
    if (!this.#acceptedEarlier(event)) return undefined;
    const state = this.state(event.id, destination);
    return state === 'pending' ? undefined : state;
  }

  /** Everything known about an event, or `undefined` for an id never accepted (or purged). */
  get(eventId: string): EventStatus | undefined {
    const event = this.#st.event.get(eventId) as { id: string; user_id: string; received_at: number } | undefined;
    if (event === undefined) return undefined;
    const rows = this.#st.deliveries.all(eventId) as unknown as DeliveryRow[];
    const destinations: Record<string, DestinationStatus> = {};
    for (const id of this.#options.destinations) destinations[id] = pendingStatus();
    for (const r of rows) destinations[r.destination] = destinationStatus(r);
    return { id: event.id, userId: event.user_id, receivedAt: iso(event.received_at)!, destinations };
  }

  /**
   * Deletes events accepted before the retention cutoff whose every configured destination is finished (delivered
   * or dead), at most `limit` per call so the thread is never held long. Resolves with how many were purged.
   */
  async purge(now = Date.now(), limit = 5000): Promise<number> {
    // Event ids are UUIDv7, ordered by acceptance time: every id below this one was accepted before the cutoff.
    const cutoff = newEventId(now - this.#options.retentionMs)
      .slice(0, 14)
      .padEnd(36, '0');
    const answer = await this.#request((seq) => ({
      type: 'purge',
      seq,
      cutoff,
      destinations: this.#options.destinations.length,
      limit,
    }));
    const purged = answer.purged ?? 0;
    if (purged > 0) this.#options.logger.debug({ purged }, 'purged old delivery statuses');
    return purged;
  }

  /** Whether the event may have been accepted before this process started (then an earlier run handled it). */
  #acceptedEarlier(event: EventMeta): boolean {
    return event.receivedAtMs <= this.#startedAt + CLOCK_SLACK_MS;
  }

  #remember(eventId: string, destination: string, state: DeliveryState): void {
    this.#recentOf(destination).set(eventId, state);
  }

  #recentOf(destination: string): Generations<string, DeliveryState> {
    let recent = this.#recent.get(destination);
    if (recent === undefined) {
      const share = Math.ceil(RECENT_CAPACITY / Math.max(1, this.#options.destinations.length));
      this.#recent.set(destination, (recent = new Generations(share)));
    }
    return recent;
  }

  get #st(): ReturnType<typeof readStatements> {
    if (this.#statements === undefined) throw new HeraldError('HERALD_SHUTTING_DOWN', 'the status store is closed');
    return this.#statements;
  }

  /** Queues writes for the thread's next batch (or `queue`'s); resolves once they are committed. */
  #enqueue(writes: StatusWrite[], queue = this.#queue): Promise<void> {
    if (this.#db === undefined) return Promise.reject(new HeraldError('HERALD_SHUTTING_DOWN', 'status store closed'));
    return new Promise((resolve, reject) => queue.push({ writes, waiter: { resolve: () => resolve(), reject } }));
  }

  /**
   * Queues an end (filtered, dead) for this turn's batch, after sending the attempts waiting: the thread commits
   * batches in the order they are sent, so the end is never overwritten by an attempt recorded before it.
   */
  #enqueueAfterAttempts(writes: StatusWrite[]): Promise<void> {
    this.#attempts.flushNow();
    return this.#enqueue(writes);
  }

  #flush(batch: { writes: StatusWrite[]; waiter: Waiting }[]): void {
    const writes = batch.length === 1 ? batch[0].writes : batch.flatMap((entry) => entry.writes);
    this.#sendWrites(writes, batch.map((entry) => entry.waiter));
  }

  #sendWrites(writes: StatusWrite[], waiters: Waiting[]): void {
    this.#send((seq) => ({ type: 'write', seq, writes }), { waiters, writes });
  }

  /** Sends every failed batch again, as one. */
  #retryNow(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#failed.length === 0) return;
    const failed = this.#failed;
    this.#failed = [];
    this.#sendWrites(
      failed.flatMap((f) => f.writes ?? []),
      failed.flatMap((f) => f.waiters),
    );
  }

  /** Keeps a batch that failed for a passing cause, to send again after a wait that grows with every failure. */
  #retryLater(batch: InFlight, error: string): void {
    if (this.#retryDelayMs === 0) {
      this.#options.logger.error({ err: error }, 'writing delivery statuses failed; trying again until it succeeds');
    }
    this.#retryDelayMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_FIRST_MS, this.#retryDelayMs * 2));
    this.#failed.push(batch);
    this.#retryTimer ??= setTimeout(() => this.#retryNow(), this.#retryDelayMs);
  }

  /** Sends one message to the thread (starting one if none runs); resolves with its answer. */
  #request(message: (seq: number) => ToStatusThread): Promise<{ purged?: number }> {
    if (this.#db === undefined) return Promise.reject(new HeraldError('HERALD_SHUTTING_DOWN', 'status store closed'));
    return new Promise((resolve, reject) => this.#send(message, { waiters: [{ resolve, reject }] }));
  }

  #send(message: (seq: number) => ToStatusThread, inFlight: InFlight): void {
    const seq = ++this.#seq;
    this.#sent.set(seq, inFlight);
    this.#thread?.post(message(seq));
  }

  #link(): ThreadLink<ToStatusThread, FromStatusThread> {
    return new ThreadLink<ToStatusThread, FromStatusThread>({
      script: this.#options.threadScript ?? scriptBeside(import.meta.url, './thread'),
      workerData: { file: this.#options.file },
      name: 'delivery status thread',
      logger: this.#options.logger,
      onMessage: (message) => {
        if (message.type !== 'done') return;
        const inFlight = this.#sent.get(message.seq);
        this.#sent.delete(message.seq);
        if (message.error !== undefined && message.retriable === true && inFlight?.writes !== undefined && !this.#stopping) {
          this.#retryLater(inFlight, message.error);
          return;
        }
        if (this.#sent.size === 0) this.#answered?.();
        if (message.error === undefined) {
          if (inFlight?.writes !== undefined && this.#retryDelayMs > 0) {
            this.#retryDelayMs = 0;
            this.#options.logger.info('delivery statuses are written again');
          }
          for (const w of inFlight?.waiters ?? []) w.resolve(message);
          return;
        }
        this.#options.logger.error({ err: message.error }, 'writing delivery statuses failed');
        const failure = new HeraldError('HERALD_STORAGE_FAILED', `writing delivery statuses failed: ${message.error}`);
        for (const w of inFlight?.waiters ?? []) w.reject(failure);
      },
      onExit: (code) => {
        const failure = new HeraldError('HERALD_STORAGE_FAILED', `the status thread stopped (exit code ${code})`);
        for (const { waiters } of this.#sent.values()) for (const w of waiters) w.reject(failure);
        this.#sent.clear();
        this.#answered?.();
      },
    });
  }
}


function truncate(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}
