import fs from 'node:fs';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { BulkStore } from './bulk-store.ts';

/** Where schema 4 kept large batches: a second SQLite database, one table `log_<id> (last, b)` per log. */
export const BULK_DATABASE_FILE = 'bulk.db';

/**
 * Moves the large batches of a schema-4 data directory from `bulk.db` into `bulk`'s segment files and syncs them,
 * before the caller marks the schema as 5. A log's directory is made again from the start, so a move cut short by a
 * crash is simply done again. The caller removes the database ({@link removeBulkDatabase}) once the new schema is
 * durable.
 */
export function moveBulkDatabase(db: DatabaseSync, dataDir: string, bulk: BulkStore): void {
  db.prepare("ATTACH DATABASE ? AS old_bulk").run(path.join(dataDir, BULK_DATABASE_FILE));
  try {
    const tables = db.prepare("SELECT name FROM old_bulk.sqlite_master WHERE type = 'table' AND name GLOB 'log_[0-9]*'").all() as {
      name: string;
    }[];
    for (const { name } of tables) {
      const logId = Number(name.slice(4));
      bulk.drop(logId);
      bulk.create(logId);
      const rows = db.prepare(`SELECT last, b FROM old_bulk.${name} ORDER BY last`);
      for (const { last, b } of rows.iterate() as Iterable<{ last: number; b: Uint8Array }>) bulk.append(logId, last, b);
      bulk.keep();
    }
    bulk.syncNow();
  } finally {
    db.exec('DETACH DATABASE old_bulk');
  }
}

/** Removes schema 4's bulk database and its write-ahead log, if present. */
export function removeBulkDatabase(dataDir: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(dataDir, `${BULK_DATABASE_FILE}${suffix}`), { force: true });
}
