import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { HeraldError } from '../../src/errors.ts';
import type { Component } from '../../src/runtime/lifecycle.ts';
import { type EventMeta, newEventId } from './event.ts';

/** Where one event stands with one destination. */
export type DeliveryState = 'pending' | 'delivered' | 'dead';

/** `GET /events/{id}`'s view of one destination. Times are ISO 8601 or null. */
export interface DestinationStatus {
  status: DeliveryState;
  attempts: number;
  lastError: string | null;
  firstAttemptAt: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  deadAt: string | null;
}

export interface EventStatus {
  id: string;
  userId: string;
  receivedAt: string;
  destinations: Record<string, DestinationStatus>;
}

/** One HTTP attempt's result, as the status store records it. */
export interface AttemptRecord {
  ok: boolean;
  error?: string;
  at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries (
  event_id TEXT NOT NULL,
  destination TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT,
  first_attempt_at INTEGER,
  last_attempt_at INTEGER,
  delivered_at INTEGER,
  dead_at INTEGER,
  PRIMARY KEY (event_id, destination)
) WITHOUT ROWID;
`;

interface DeliveryRow {
  destination: string;
  state: DeliveryState;
  attempts: number;
  last_error: string | null;
  first_attempt_at: number | null;
  last_attempt_at: number | null;
  delivered_at: number | null;
  dead_at: number | null;
}

/** Finished (delivered or dead) entries this process remembers, to answer `finalState` without a query. */
const RECENT_CAPACITY = 200_000;
/** Events accepted up to this long after the process started are still looked up in the file (clock skew). */
const CLOCK_SLACK_MS = 5_000;

/** Longest error text kept per delivery; destination error bodies can be large. */
const MAX_ERROR_CHARS = 500;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

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
}

/**
 * Per-event, per-destination delivery status in a SQLite file under the data dir (WAL, `synchronous=NORMAL`: a
 * committed write survives `kill -9` of Herald; only an OS crash may lose the newest). Writes are queued and
 * committed together once per event-loop turn — the returned promise resolves after that commit — so thousands of
 * status changes a second cost one transaction per turn, not one each.
 *
 * Status is advisory and trails delivery: it is written after the attempt it describes, so a crash in between
 * can leave an event `pending` that the destination already has; the redelivery after restart then records it.
 */
export class StatusStore implements Component {
  readonly name = 'delivery-status';
  readonly #options: StatusStoreOptions;
  #db: DatabaseSync | undefined;
  #statements: ReturnType<typeof prepare> | undefined;
  #queue: (() => void)[] = [];
  #waiters: { resolve(): void; reject(err: unknown): void }[] = [];
  #scheduled = false;
  #purgeTimer: NodeJS.Timeout | undefined;
  /** What this process recorded as finished, by `<event id>\0<destination>`, oldest first. */
  readonly #recent = new Map<string, DeliveryState>();
  #startedAt = 0;
  /** Recording an acceptance failed in this process: some events it accepted may be missing from the file. */
  #acceptedLost = false;

  constructor(options: StatusStoreOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    mkdirSync(path.dirname(this.#options.file), { recursive: true });
    const db = new DatabaseSync(this.#options.file);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    db.exec(SCHEMA);
    this.#db = db;
    this.#statements = prepare(db);
    this.#startedAt = Date.now();
    this.#purgeTimer = setInterval(() => this.purge(), this.#options.purgeEveryMs ?? 60_000);
    this.#purgeTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#purgeTimer);
    this.#flush();
    this.#db?.close();
    this.#db = undefined;
    this.#statements = undefined;
  }

  /** Events just made durable in the source topic: known from now on, `pending` everywhere. */
  accepted(events: EventMeta[]): Promise<void> {
    const written = this.#enqueue(() => {
      for (const e of events) this.#st.insertEvent.run(e.id, e.userId, e.receivedAtMs);
    });
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
    else if (this.#recent.get(recentKey(event.id, destination)) === 'dead') {
      this.#recent.delete(recentKey(event.id, destination)); // a replay: pending again
    }
    return this.#enqueue(() => {
      if (first && (this.#acceptedLost || this.#acceptedEarlier(event))) {
        this.#st.insertEvent.run(event.id, event.userId, event.receivedAtMs);
      }
      this.#st.attempt.run(event.id, destination, attempt.ok ? 'delivered' : 'pending', error, attempt.at);
    });
  }

  /** A transform filtered the event out for `destination`: nothing to send, so it counts as delivered. */
  filtered(event: EventMeta, destination: string, at = Date.now()): Promise<void> {
    this.#remember(event.id, destination, 'delivered');
    return this.#enqueue(() => {
      this.#st.insertEvent.run(event.id, event.userId, event.receivedAtMs);
      this.#st.filtered.run(event.id, destination, at);
    });
  }

  /** The event was dead-lettered for `destination` (retries exhausted, permanent failure, or untransformable). */
  dead(event: EventMeta, destination: string, error: string, at = Date.now()): Promise<void> {
    if (this.#recent.get(recentKey(event.id, destination)) !== 'delivered') {
      this.#remember(event.id, destination, 'dead');
    }
    return this.#enqueue(() => {
      this.#st.insertEvent.run(event.id, event.userId, event.receivedAtMs);
      this.#st.dead.run(event.id, destination, truncate(error), at);
    });
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
    const known = this.#recent.get(recentKey(event.id, destination));
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
    for (const r of rows) {
      destinations[r.destination] = {
        status: r.state,
        attempts: r.attempts,
        lastError: r.last_error,
        firstAttemptAt: iso(r.first_attempt_at),
        lastAttemptAt: iso(r.last_attempt_at),
        deliveredAt: iso(r.delivered_at),
        deadAt: iso(r.dead_at),
      };
    }
    return { id: event.id, userId: event.user_id, receivedAt: iso(event.received_at)!, destinations };
  }

  /**
   * Deletes events accepted before the retention cutoff whose every configured destination is finished (delivered
   * or dead), a bounded number per call so the event loop is never held long. Returns how many were purged.
   */
  purge(now = Date.now(), limit = 5000): number {
    if (this.#db === undefined) return 0;
    // Event ids are UUIDv7, ordered by acceptance time: every id below this one was accepted before the cutoff.
    const cutoff = newEventId(now - this.#options.retentionMs)
      .slice(0, 14)
      .padEnd(36, '0');
    const ids = this.#st.purgeable.all(cutoff, this.#options.destinations.length, limit) as { id: string }[];
    if (ids.length === 0) return 0;
    this.#transaction(() => {
      for (const { id } of ids) {
        this.#st.deleteDeliveries.run(id);
        this.#st.deleteEvent.run(id);
      }
    });
    this.#options.logger.debug({ purged: ids.length }, 'purged old delivery statuses');
    return ids.length;
  }

  /** Whether the event may have been accepted before this process started (then an earlier run handled it). */
  #acceptedEarlier(event: EventMeta): boolean {
    return event.receivedAtMs <= this.#startedAt + CLOCK_SLACK_MS;
  }

  #remember(eventId: string, destination: string, state: DeliveryState): void {
    this.#recent.set(recentKey(eventId, destination), state);
    if (this.#recent.size > RECENT_CAPACITY) this.#recent.delete(this.#recent.keys().next().value!);
  }

  get #st(): ReturnType<typeof prepare> {
    if (this.#statements === undefined) throw new HeraldError('HERALD_SHUTTING_DOWN', 'the status store is closed');
    return this.#statements;
  }

  #enqueue(write: () => void): Promise<void> {
    if (this.#db === undefined) return Promise.reject(new HeraldError('HERALD_SHUTTING_DOWN', 'status store closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push(write);
      this.#waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    const waiters = this.#waiters;
    if (queue.length === 0) return;
    this.#queue = [];
    this.#waiters = [];
    try {
      this.#transaction(() => {
        for (const write of queue) write();
      });
    } catch (err) {
      this.#options.logger.error({ err }, 'writing delivery statuses failed');
      const failure = new HeraldError('HERALD_STORAGE_FAILED', 'writing delivery statuses failed', { cause: err });
      for (const w of waiters) w.reject(failure);
      return;
    }
    for (const w of waiters) w.resolve();
  }

  #transaction(work: () => void): void {
    const db = this.#db!;
    db.exec('BEGIN');
    try {
      work();
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}

const recentKey = (eventId: string, destination: string) => `${eventId}\u0000${destination}`;

function pendingStatus(): DestinationStatus {
  return {
    status: 'pending',
    attempts: 0,
    lastError: null,
    firstAttemptAt: null,
    lastAttemptAt: null,
    deliveredAt: null,
    deadAt: null,
  };
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

function prepare(db: DatabaseSync) {
  const s = (sql: string): StatementSync => db.prepare(sql);
  return {
    insertEvent: s('INSERT OR IGNORE INTO events (id, user_id, received_at) VALUES (?, ?, ?)'),
    // An attempt on an event already dead means it was replayed: it is pending (or delivered) again.
    attempt: s(`INSERT INTO deliveries (event_id, destination, state, attempts, last_error, first_attempt_at,
                  last_attempt_at, delivered_at, dead_at)
                VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5, CASE ?3 WHEN 'delivered' THEN ?5 END, NULL)
                ON CONFLICT (event_id, destination) DO UPDATE SET
                  state = CASE WHEN state = 'delivered' THEN 'delivered' ELSE excluded.state END,
                  attempts = attempts + 1,
                  last_error = COALESCE(excluded.last_error, last_error),
                  first_attempt_at = COALESCE(first_attempt_at, excluded.first_attempt_at),
                  last_attempt_at = excluded.last_attempt_at,
                  delivered_at = COALESCE(delivered_at, excluded.delivered_at),
                  dead_at = CASE WHEN excluded.state = 'delivered' THEN dead_at ELSE NULL END`),
    dead: s(`INSERT INTO deliveries (event_id, destination, state, attempts, last_error, dead_at)
             VALUES (?1, ?2, 'dead', 0, ?3, ?4)
             ON CONFLICT (event_id, destination) DO UPDATE SET
               state = CASE WHEN state = 'delivered' THEN 'delivered' ELSE 'dead' END,
               last_error = ?3,
               dead_at = CASE WHEN state = 'delivered' THEN dead_at ELSE ?4 END`),
    filtered: s(`INSERT INTO deliveries (event_id, destination, state, attempts, delivered_at)
                 VALUES (?1, ?2, 'delivered', 0, ?3) ON CONFLICT (event_id, destination) DO NOTHING`),
    state: s('SELECT state FROM deliveries WHERE event_id = ? AND destination = ?'),
    event: s('SELECT id, user_id, received_at FROM events WHERE id = ?'),
    deliveries: s(`SELECT destination, state, attempts, last_error, first_attempt_at, last_attempt_at, delivered_at,
                     dead_at FROM deliveries WHERE event_id = ? ORDER BY destination`),
    purgeable: s(`SELECT e.id FROM events e WHERE e.id < ?1 AND
                    (SELECT count(*) FROM deliveries d WHERE d.event_id = e.id AND d.state != 'pending') >= ?2
                  LIMIT ?3`),
    deleteDeliveries: s('DELETE FROM deliveries WHERE event_id = ?'),
    deleteEvent: s('DELETE FROM events WHERE id = ?'),
  };
}
