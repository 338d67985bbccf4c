import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import { WalFile } from '../../kit/wal-file.ts';

interface Pending {
  work(): unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Committed, waiting for the write-ahead log to be synced. */
interface Unsynced {
  settle(): void;
  fail(err: unknown): void;
}

export interface GroupCommitOptions {
  db: DatabaseSync;
  /** The database's write-ahead log file (`<file>-wal`), synced under durability `fsync`. */
  walFile: string;
  /** `fsync`: a transaction resolves once the log is synced; `os`: once committed (only an OS crash loses it). */
  durability: 'fsync' | 'os';
  /**
   * Read right after each COMMIT (e.g. the last row id written); handed to `onDurable` once that commit is
   * durable, so a reader can stay behind what is durable rather than what is merely committed.
   */
  watermark?: () => number;
  /** Called after every commit that resolved transactions, once they are durable, with its `watermark`. */
  onDurable?: (watermark: number) => void;
  logger?: Logger;
}

/**
 * Group commit of synchronous SQLite transactions: every transaction requested during one turn of the event loop
 * runs inside a single database transaction, each in a savepoint of its own (one that throws is rolled back
 * alone and rejects; the others go on), then one COMMIT; under durability `fsync` they resolve after the next
 * sync of the write-ahead log, which runs off the event loop — one `fdatasync` covers every commit made before
 * it started. This gives thousands of durable transactions per second where one sync per transaction would give
 * hundreds. A COMMIT that fails rejects every transaction of the group with nothing of them written.
 *
 * Not the kit's `TurnBatcher`, though both gather one turn's requests: a batcher flushes every turn, while this
 * holds its queue for as long as a sync of the log is in flight and then writes it as one group — batching across
 * an fsync is what makes durable commits cheap here, and a per-turn flush would commit groups whose sync must
 * queue behind the previous one anyway.
 */
export class GroupCommit {
  readonly #db: DatabaseSync;
  readonly #options: GroupCommitOptions;
  #queue: Pending[] = [];
  #scheduled = false;
  #closed = false;
  #unsynced: Unsynced[] = [];
  #syncing: Promise<void> | undefined;
  readonly #wal: WalFile;
  readonly #savepoint: StatementSync;
  readonly #release: StatementSync;
  readonly #rollbackTo: StatementSync;

  constructor(options: GroupCommitOptions) {
    this.#db = options.db;
    this.#options = options;
    this.#wal = new WalFile(options.walFile);
    // Prepared once: exec() would parse these again for every transaction.
    this.#savepoint = options.db.prepare('SAVEPOINT herald_tx');
    this.#release = options.db.prepare('RELEASE herald_tx');
    this.#rollbackTo = options.db.prepare('ROLLBACK TO herald_tx');
  }

  /** Runs `work` in the next group; resolves with its result once durable, rejects with its error (rolled back). */
  run<T>(work: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new HeraldError('HERALD_SHUTTING_DOWN', 'the database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  /**
   * Flushes in the next turn — setImmediate, not a microtask, so requests arriving in the same poll phase (many
   * HTTP requests) share it — unless a sync is in flight: then the queue waits for it to end and goes as one group.
   * Under load, groups thus grow to what arrives during one sync, and each COMMIT's cost is shared by all of them.
   */
  #schedule(): void {
    if (this.#scheduled || this.#syncing !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes everything queued now, synchronously. */
  flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    const db = this.#db;
    const done: { request: Pending; value: unknown }[] = [];
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      for (const request of queue) request.reject(storageError('could not begin a transaction', err));
      return;
    }
    for (const request of queue) {
      this.#savepoint.run();
      try {
        const value = request.work();
        if (isThenable(value)) {
          throw new HeraldError('HERALD_INVALID_ARGUMENT', 'a SQLite transaction must be synchronous (it returned a promise)');
        }
        this.#release.run();
        done.push({ request, value });
      } catch (err) {
        try {
          this.#rollbackTo.run();
          this.#release.run();
        } catch {
          // SQLite rolled the whole transaction back itself (e.g. SQLITE_FULL): the COMMIT below fails for all.
        }
        request.reject(err);
      }
    }
    try {
      db.exec('COMMIT');
    } catch (err) {
      if (db.isOpen && db.isTransaction) db.exec('ROLLBACK');
      const failure = storageError('the transaction could not be committed', err);
      for (const { request } of done) request.reject(failure);
      return;
    }
    if (done.length === 0) return;
    const watermark = this.#options.watermark?.() ?? 0;
    const settle = () => {
      for (const { request, value } of done) request.resolve(value);
      this.#options.onDurable?.(watermark);
    };
    if (this.#options.durability === 'fsync') {
      this.#unsynced.push({ settle, fail: (err) => done.forEach(({ request }) => request.reject(err)) });
      this.#sync();
    } else {
      settle();
    }
  }

  /** Starts a sync for what is committed and waiting, unless one runs (it starts the next when it ends). */
  #sync(): void {
    if (this.#syncing !== undefined || this.#unsynced.length === 0) return;
    const batch = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = this.#syncLog()
      .then(
        () => batch.forEach((b) => b.settle()),
        (err: unknown) => {
          this.#options.logger?.error({ err }, 'outbox database: syncing the write-ahead log failed');
          batch.forEach((b) => b.fail(err));
        },
      )
      .finally(() => {
        this.#syncing = undefined;
        if (this.#queue.length > 0) this.#schedule();
        else this.#sync();
      });
  }

  #syncLog(): Promise<void> {
    return this.#wal.sync().catch((err: unknown) => Promise.reject(storageError('could not sync the write-ahead log', err)));
  }

  /** Writes what is queued, waits until it is synced, then refuses further work. */
  async close(): Promise<void> {
    this.flush();
    this.#closed = true;
    while (this.#syncing !== undefined) await this.#syncing;
    this.#wal.close();
  }
}

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function storageError(message: string, cause: unknown): HeraldError {
  if (cause instanceof HeraldError) return cause;
  return new HeraldError('HERALD_STORAGE_FAILED', `${message}: ${(cause as Error)?.message ?? cause}`, { cause });
}
