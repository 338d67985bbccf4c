import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { WalFile } from '../../kit/wal-file.ts';

/** The database of large batches, beside `herald.db` in the data directory, attached to its connection as `bulk`. */
export const BULK_FILE = 'bulk.db';

/**
 * Batches at least this large, from Kafka producers, outside transactions, on normal topics, are kept in the bulk
 * database. kcat sends batches of up to 1 MB, Kafka's Java producer of up to 16 KiB by default.
 */
export const BULK_MIN_BYTES = 64 * 1024;

/**
 * The bulk database's page size. SQLite writes every page twice (into its write-ahead log, then by a checkpoint
 * into the file), with a `pwrite` for each frame header and each page: at 4 KiB pages, kcat producing 1,000,000
 * 200-byte records into the embedded listener ran at ~500,000 records/s; with the whole database at 64 KiB pages
 * at ~810,000 (BENCHMARKS.md, 2026-12-06 13:05). Herald's own small commits would pay for such pages (every commit
 * rewrites each page it touches: 6.5× the bytes written), so only large batches go to a database of their own:
 * kcat's produce ~1,650 → ~1,105 ms a million records side by side, with a cheaper plain-record scan (2026-12-06
 * 18:30).
 */
const BULK_PAGE_SIZE = 65_536;

/** The name of log `logId`'s table in the bulk database. */
export function bulkTable(logId: number): string {
  return `bulk.log_${logId}`;
}

/**
 * The bulk database: one table per partition that ever received a large batch, `last INTEGER PRIMARY KEY, b BLOB`,
 * keyed as the partition's own table is (see `BatchTable`), whose row for such a batch has empty bytes.
 *
 * Writes to it are transactions of their own (SQLite does not commit attached databases in WAL mode atomically
 * together), ordered so that a kill between two commits leaves only bytes no row names, never a row without its
 * bytes: a batch's bytes commit before the row naming them, a row is deleted before its bytes, and a table is
 * created and synced before its first row is named. Bytes no row names are deleted at the next start (see
 * `BatchTable.reconcileBulk`); after an OS crash, rows whose bytes were lost with it (never acknowledged under
 * durability `'fsync'`: both logs are synced first) are dropped there too.
 */
export class BulkStore {
  readonly #db: DatabaseSync;
  readonly #wal: WalFile;
  /** Logs that have a table here. */
  readonly #tables: Set<number>;
  /** Whether something was written since the last {@link sync} began. */
  #dirty = false;

  /** Attaches (creating if needed) the bulk database of `dataDir` to `db`, which holds the exclusive lock. */
  constructor(db: DatabaseSync, dataDir: string) {
    this.#db = db;
    const file = path.join(dataDir, BULK_FILE);
    this.#wal = new WalFile(`${file}-wal`);
    db.prepare('ATTACH DATABASE ? AS bulk').run(file);
    db.exec(`
      PRAGMA bulk.page_size = ${BULK_PAGE_SIZE};
      PRAGMA bulk.journal_mode = WAL;
      PRAGMA bulk.synchronous = NORMAL;
      PRAGMA bulk.cache_size = -8192;
    `);
    const rows = db.prepare("SELECT name FROM bulk.sqlite_master WHERE type = 'table' AND name GLOB 'log_[0-9]*'").all() as {
      name: string;
    }[];
    this.#tables = new Set(rows.map((row) => Number(row.name.slice(4))));
  }

  /** Whether log `logId` has a table here. */
  has(logId: number): boolean {
    return this.#tables.has(logId);
  }

  /** Ids of every log with a table here. */
  tableIds(): number[] {
    return [...this.#tables];
  }

  /** Creates log `logId`'s table (inside the caller's transaction; `Store.createBulkTable` syncs it). */
  create(logId: number): void {
    this.#db.exec(`CREATE TABLE IF NOT EXISTS ${bulkTable(logId)} (last INTEGER PRIMARY KEY, b BLOB NOT NULL)`);
    this.#tables.add(logId);
  }

  /** Syncs the write-ahead log now, on the event loop. */
  syncNow(): void {
    this.#wal.syncNow();
  }

  /** Drops log `logId`'s table (inside the caller's transaction, after the log's own table). */
  drop(logId: number): void {
    if (!this.#tables.has(logId)) return;
    this.#db.exec(`DROP TABLE IF EXISTS ${bulkTable(logId)}`);
    this.#tables.delete(logId);
  }

  /** Notes a write, for the next {@link sync}. */
  written(): void {
    this.#dirty = true;
  }

  /** Syncs the bulk database's write-ahead log off the event loop, if anything was written since the last sync. */
  sync(): Promise<void> {
    if (!this.#dirty) return Promise.resolve();
    this.#dirty = false;
    return this.#wal.sync();
  }

  /** Closes the log's descriptor (the connection is closed by the store). */
  close(): void {
    this.#wal.close();
  }
}
