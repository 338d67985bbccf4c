import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { HeraldError } from '../../errors.ts';
import { BULK_DIR, BulkStore } from './bulk-store.ts';
import { refuseLost } from './data-dir.ts';
import { migrate } from './migrate.ts';
import { BULK_DATABASE_FILE, moveBulkDatabase, pointLostBatches, removeBulkDatabase, withBulkDatabase } from './migrate-bulk.ts';
import { WalFile } from '../../kit/wal-file.ts';

/**
 * Bumped whenever the layout below changes incompatibly; a newer data dir is refused rather than misread. 4: rows
 * with empty bytes name a batch in a second database, `bulk.db` (nothing to migrate from 3). 5: such rows hold a
 * pointer to their batch in the bulk files (see `BulkStore`), where a first open moves schema 4's (see
 * `moveBulkDatabase`).
 */
const SCHEMA_VERSION = 5;

/** Database file inside the data directory. */
export const DB_FILE = 'herald.db';

/*
 * Layout. Each partition is a table `log_<id>` (created by `PartitionLog`): record batches keyed by their last
 * offset (see `BatchTable`), for normal and compacted topics alike. Appends go to the end of one b-tree, range
 * reads are rowid scans, retention is a range delete, and compaction stores a batch again without its removed
 * records. `logs` maps partitions to
 * those tables and keeps the next offset (durable even when compaction or retention deleted the newest records),
 * the log start offset (where retention deleted up to) and the stored bytes (for `retentionBytes`). Committed offsets are keyed by log id, so deleting a topic drops them.
 * `open_transaction_ranges` lists the offsets written by transactions still open (see `OpenTransaction`); it is
 * empty whenever none is, and rows left by a stop or crash are aborted at the next start. Large batches from Kafka
 * producers are kept in segment files of their own, as Kafka keeps its logs (see `BulkStore`).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS topics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  compacted INTEGER NOT NULL,
  retention_ms INTEGER,
  retention_bytes INTEGER,
  configs TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  topic_id INTEGER NOT NULL,
  part INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  start_offset INTEGER NOT NULL DEFAULT 0,
  UNIQUE (topic_id, part)
);
CREATE TABLE IF NOT EXISTS group_offsets (
  group_id TEXT NOT NULL,
  log_id INTEGER NOT NULL,
  off INTEGER NOT NULL,
  committed_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, log_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_offsets_by_log ON group_offsets (log_id);
CREATE TABLE IF NOT EXISTS open_transaction_ranges (
  txn INTEGER NOT NULL,
  log_id INTEGER NOT NULL,
  first INTEGER NOT NULL,
  last INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS open_transaction_ranges_by_txn ON open_transaction_ranges (txn);
`;

export interface TopicRow {
  id: number;
  name: string;
  compacted: number;
  retention_ms: number | null;
  retention_bytes: number | null;
  configs: string;
  created_at: number;
}

export interface LogRow {
  id: number;
  topic_id: number;
  part: number;
  next_offset: number;
  bytes: number;
  start_offset: number;
}

/** Offsets `[first, last]` of log `log_id` written by the open transaction `txn`. */
export interface OpenRangeRow {
  txn: number;
  log_id: number;
  first: number;
  last: number;
}

export interface OffsetRow {
  group_id: string;
  log_id: number;
  off: number;
}

/** SQLite's primary result codes that mean the file itself is damaged: SQLITE_CORRUPT and SQLITE_NOTADB. */
const CORRUPT_CODES = new Set([11, 26]);

/** Whether `err` is SQLite saying a database file is damaged (a malformed page, or not a database at all). */
export function isCorrupt(err: unknown): boolean {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' && CORRUPT_CODES.has(code & 0xff);
}

/**
 * A storage failure as a coded error: `HERALD_STORAGE_CORRUPT` naming `file` when SQLite says the file is damaged
 * (nothing retries that away), `HERALD_STORAGE_FAILED` otherwise.
 */
export function storageError(message: string, cause: unknown, file?: string): HeraldError {
  const code = (cause as { errcode?: unknown; code?: unknown } | null)?.errcode;
  const full = code === 13 || (cause as NodeJS.ErrnoException | null)?.code === 'ENOSPC'; // SQLITE_FULL
  const reason = full ? 'the disk is full' : ((cause as Error)?.message ?? String(cause));
  if (isCorrupt(cause)) {
    const where = file ?? 'a storage file';
    return new HeraldError('HERALD_STORAGE_CORRUPT', `${where} is damaged (${reason}); restore it from a backup`, {
      cause,
      details: file === undefined ? undefined : { file },
    });
  }
  return new HeraldError('HERALD_STORAGE_FAILED', `${message}: ${reason}`, { cause });
}

/** Whether `err` is SQLite saying another connection holds the database. */
export function isBusy(err: unknown): boolean {
  const code = (err as { errcode?: number }).errcode;
  return code === 5 || code === 6; // SQLITE_BUSY, SQLITE_LOCKED
}

/** The SQLite database of one data directory, with the statements for its catalog tables. */
export class Store {
  readonly db: DatabaseSync;
  readonly #insertTopic: StatementSync;
  readonly #deleteTopic: StatementSync;
  readonly #insertLog: StatementSync;
  readonly #updateLog: StatementSync;
  readonly #deleteLogs: StatementSync;
  readonly #upsertOffset: StatementSync;
  readonly #deleteOffsetsOfLog: StatementSync;
  readonly #insertOpenRange: StatementSync;
  readonly #deleteOpenRanges: StatementSync;
  /** Durability `'fsync'`: transactions count as written once the write-ahead log is synced. */
  readonly syncs: boolean;
  readonly #wal: WalFile;
  /** The database file's path, named by errors. */
  readonly file: string;
  /** The files of large batches. */
  readonly bulk: BulkStore;
  /** Set when the bulk files were lost and `acceptEmptyStorage` let the store open without them: for the log. */
  readonly warning: string | undefined;
  /** Whether the bulk files were lost (see {@link warning}): rows naming their batches are deleted at start. */
  get bulkLost(): boolean {
    return this.warning !== undefined;
  }

  /**
   * Opens (creating if needed) the database in `dataDir`. The connection holds SQLite's exclusive lock for its
   * whole life: a second opener anywhere fails with SQLITE_BUSY even if the lock file was removed by hand.
   */
  constructor(dataDir: string, options: { durability: 'fsync' | 'os'; cacheSizeKiB: number; acceptEmptyStorage?: boolean }) {
    this.file = path.join(dataDir, DB_FILE);
    this.db = new DatabaseSync(this.file, { timeout: 0 });
    this.syncs = options.durability === 'fsync';
    this.#wal = new WalFile(`${this.file}-wal`);
    let damaged = this.file;
    let bulk: BulkStore | undefined;
    try {
      this.db.exec(`
        PRAGMA locking_mode = EXCLUSIVE;
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA cache_size = -${options.cacheSizeKiB};
        PRAGMA temp_store = MEMORY;
        PRAGMA foreign_keys = OFF;
      `);
      // Takes the exclusive lock now rather than at the first write.
      this.db.exec('BEGIN EXCLUSIVE; COMMIT;');
      const version = (this.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
      if (version > SCHEMA_VERSION) {
        throw new HeraldError(
          'HERALD_STORAGE_FAILED',
          `data directory ${dataDir} was written by a newer Herald (schema ${version} > ${SCHEMA_VERSION})`,
          { retriable: false },
        );
      }
      // A file written with bulk files (schema 5 on; a bulk database in 4) had them from its first start.
      if (version >= 4) {
        this.warning = refuseLost(dataDir, version === 4 ? BULK_DATABASE_FILE : BULK_DIR, options.acceptEmptyStorage === true, {
          since: `${this.file} was written with it`,
          gone: 'the large batches from Kafka producers it held are gone',
          without: 'without them',
        });
      }
      // Made before the schema is marked as having it, so that a marked file always had one.
      this.bulk = bulk = new BulkStore(dataDir, this.syncs);
      const mark = (move?: () => void) => {
        this.db.exec('BEGIN');
        if (version === 1 || version === 2) migrate(this.db, version);
        move?.();
        this.db.exec(`${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
      };
      if (version === 4 && this.warning === undefined) {
        damaged = path.join(dataDir, BULK_DATABASE_FILE);
        withBulkDatabase(this.db, dataDir, () => mark(() => moveBulkDatabase(this.db, bulk!)));
        damaged = this.file;
      } else {
        mark(version === 4 ? () => pointLostBatches(this.db) : undefined);
      }
      // The moved batches' old home goes once the new schema is durable (or stays, unread, until the next start).
      if (version < SCHEMA_VERSION) this.syncNow();
      removeBulkDatabase(dataDir);
    } catch (err) {
      bulk?.close();
      this.db.close();
      throw isCorrupt(err) ? storageError('', err, damaged) : err;
    }
    this.#insertTopic = this.db.prepare(
      'INSERT INTO topics (name, compacted, retention_ms, retention_bytes, configs, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#deleteTopic = this.db.prepare('DELETE FROM topics WHERE id = ?');
    this.#insertLog = this.db.prepare('INSERT INTO logs (id, topic_id, part, next_offset, bytes) VALUES (?, ?, ?, 0, 0)');
    this.#updateLog = this.db.prepare('UPDATE logs SET next_offset = ?, bytes = ?, start_offset = ? WHERE id = ?');
    this.#deleteLogs = this.db.prepare('DELETE FROM logs WHERE topic_id = ?');
    this.#upsertOffset = this.db.prepare(
      'INSERT INTO group_offsets (group_id, log_id, off, committed_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (group_id, log_id) DO UPDATE SET off = excluded.off, committed_at = excluded.committed_at',
    );
    this.#deleteOffsetsOfLog = this.db.prepare('DELETE FROM group_offsets WHERE log_id = ?');
    this.#insertOpenRange = this.db.prepare(
      'INSERT INTO open_transaction_ranges (txn, log_id, first, last) VALUES (?, ?, ?, ?)',
    );
    this.#deleteOpenRanges = this.db.prepare('DELETE FROM open_transaction_ranges WHERE txn = ?');
  }

  /**
   * Runs `fn` in one transaction: all of it is written, or (on a throw) none of it. SQLite failures become
   * `HERALD_STORAGE_FAILED`.
   *
   * Commits do not sync (`synchronous = NORMAL`): a committed transaction survives the process being killed, and
   * only an OS crash or power loss can lose it — together with every transaction after it, as the write-ahead log
   * is replayed in order. Under durability `'fsync'` a transaction is durable once the log is synced:
   * `durable: true` (default) syncs before returning, for rare work such as creating a topic; the writer passes
   * `false` and acknowledges after {@link syncLog}, so that syncing never holds the event loop.
   */
  transaction<T>(fn: () => T, durable = true): T {
    let result: T;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      result = fn();
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.isOpen && this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err instanceof HeraldError ? err : storageError('the embedded log could not be written', err, this.file);
    }
    if (durable && this.syncs) this.syncNow();
    return result;
  }

  /**
   * Makes every transaction committed so far durable: one `fdatasync` of the write-ahead log on libuv's thread
   * pool, while the event loop goes on, and one of each bulk file written beside it. Rejects with
   * `HERALD_STORAGE_FAILED`.
   */
  syncLog(): Promise<void> {
    return Promise.all([this.#wal.sync(), this.bulk.sync()]).then(
      () => undefined,
      (err: unknown) => Promise.reject(storageError('the embedded log could not be synced', err)),
    );
  }

  /** Syncs the write-ahead log now, on the event loop, whatever the durability (for ordering rare writes). */
  syncNow(): void {
    try {
      this.#wal.syncNow();
    } catch (err) {
      throw storageError('the embedded log could not be synced', err);
    }
  }

  loadTopics(): TopicRow[] {
    return this.db.prepare('SELECT * FROM topics ORDER BY id').all() as unknown as TopicRow[];
  }

  loadLogs(): LogRow[] {
    return this.db.prepare('SELECT * FROM logs ORDER BY topic_id, part').all() as unknown as LogRow[];
  }

  loadOffsets(): OffsetRow[] {
    return this.db.prepare('SELECT group_id, log_id, off FROM group_offsets').all() as unknown as OffsetRow[];
  }

  loadOpenRanges(): OpenRangeRow[] {
    return this.db.prepare('SELECT txn, log_id, first, last FROM open_transaction_ranges').all() as unknown as OpenRangeRow[];
  }

  /** Records that the open transaction `txn` wrote offsets `[first, last]` of log `logId`. */
  insertOpenRange(txn: number, logId: number, first: number, last: number): void {
    this.#insertOpenRange.run(txn, logId, first, last);
  }

  /** Forgets the ranges of transaction `txn` (it ended). */
  deleteOpenRanges(txn: number): void {
    this.#deleteOpenRanges.run(txn);
  }

  /** Forgets the ranges of every transaction (all aborted at start-up). */
  deleteAllOpenRanges(): void {
    this.db.exec('DELETE FROM open_transaction_ranges');
  }

  insertTopic(row: Omit<TopicRow, 'id'>): number {
    const result = this.#insertTopic.run(
      row.name,
      row.compacted,
      row.retention_ms,
      row.retention_bytes,
      row.configs,
      row.created_at,
    );
    return Number(result.lastInsertRowid);
  }

  /** Adds the catalog row of a log whose table `log_<logId>` was made beforehand (see {@link nextLogId}). */
  insertLog(logId: number, topicId: number, partition: number): void {
    this.#insertLog.run(logId, topicId, partition);
  }

  /**
   * The first log id above every id ever given (the catalog's sequence) and every log table present (made ahead
   * of a creation that did not finish), so a new log's table name was never used.
   */
  nextLogId(): number {
    const sequence = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'logs'").get() as
      | { seq: number }
      | undefined;
    const tables = this.logTableIds();
    let max = sequence?.seq ?? 0;
    for (const id of tables) if (id > max) max = id;
    return max + 1;
  }

  /** Ids of every `log_<id>` table in the file. */
  logTableIds(): number[] {
    const rows = this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'log_[0-9]*'")
      .all() as { name: string }[];
    return rows.map((row) => Number(row.name.slice(4)));
  }

  updateLog(logId: number, nextOffset: number, bytes: number, startOffset: number): void {
    this.#updateLog.run(nextOffset, bytes, startOffset, logId);
  }

  /** Removes a topic's catalog rows and the committed offsets of its logs (the log tables are dropped separately). */
  deleteTopic(topicId: number, logIds: number[]): void {
    for (const logId of logIds) this.#deleteOffsetsOfLog.run(logId);
    this.#deleteLogs.run(topicId);
    this.#deleteTopic.run(topicId);
  }

  upsertOffset(group: string, logId: number, offset: number, now: number): void {
    this.#upsertOffset.run(group, logId, offset, now);
  }

  /** Closes the database. Call only with no {@link syncLog} in flight (it uses the log's descriptor). */
  close(): void {
    this.#wal.close();
    this.bulk.close();
    if (this.db.isOpen) this.db.close();
  }
}
