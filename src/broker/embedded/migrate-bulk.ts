import fs from 'node:fs';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { type BulkStore, POINTER_BYTES } from './bulk-store.ts';

/** Where schema 4 kept large batches: a second SQLite database, one table `log_<id> (last, b)` per log. */
export const BULK_DATABASE_FILE = 'bulk.db';

/**
 * Runs `fn` with schema 4's bulk database attached to `db` as `old_bulk` (SQLite attaches and detaches only
 * outside a transaction: `fn` runs one, see {@link moveBulkDatabase}).
 */
export function withBulkDatabase(db: DatabaseSync, dataDir: string, fn: () => void): void {
  db.prepare('ATTACH DATABASE ? AS old_bulk').run(path.join(dataDir, BULK_DATABASE_FILE));
  try {
    fn();
  } finally {
    if (!db.isTransaction) db.exec('DETACH DATABASE old_bulk');
  }
}

/**
 * Moves the large batches of a schema-4 data directory from `bulk.db` (attached by {@link withBulkDatabase}) into
 * `bulk`'s segment files, syncs them, and points their rows (which had empty bytes) at them — inside the caller's
 * transaction, which marks the schema as 5. A log's directory is made again from the start, so a move cut short by
 * a crash is simply done again. The caller removes the database ({@link removeBulkDatabase}) once the new schema is
 * durable.
 */
export function moveBulkDatabase(db: DatabaseSync, bulk: BulkStore): void {
  const tables = db.prepare("SELECT name FROM old_bulk.sqlite_master WHERE type = 'table' AND name GLOB 'log_[0-9]*'").all() as {
    name: string;
  }[];
  for (const { name } of tables) {
    const logId = Number(name.slice(4));
    bulk.drop(logId);
    bulk.create(logId);
    const rows = db.prepare(`SELECT last, b FROM old_bulk.${name} ORDER BY last`);
    const point = db.prepare(`UPDATE main.${name} SET b = ? WHERE last = ? AND length(b) = 0`);
    for (const { last, b } of rows.iterate() as Iterable<{ last: number; b: Uint8Array }>) point.run(bulk.append(logId, b), last);
    bulk.keep();
  }
  bulk.syncNow();
}

/**
 * Schema 4's bulk database was lost and `acceptEmptyStorage` let the broker start: the rows that named its batches
 * (empty bytes) point at nothing instead, so that the start drops and counts them as it does rows whose batch an
 * OS crash lost (`BatchTable.reconcileBulk`). Inside the caller's transaction, which marks the schema as 5.
 */
export function pointLostBatches(db: DatabaseSync): void {
  const nowhere = Buffer.alloc(POINTER_BYTES);
  nowhere.writeBigInt64BE(-1n, 0); // no file begins at offset -1
  const tables = db.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name GLOB 'log_[0-9]*'").all() as {
    name: string;
  }[];
  for (const { name } of tables) db.prepare(`UPDATE main.${name} SET b = ? WHERE length(b) = 0`).run(nowhere);
}

/** Removes schema 4's bulk database and its write-ahead log, if present. */
export function removeBulkDatabase(dataDir: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(dataDir, `${BULK_DATABASE_FILE}${suffix}`), { force: true });
}
