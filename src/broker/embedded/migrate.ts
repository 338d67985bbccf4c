import type { DatabaseSync } from 'node:sqlite';
import type { Headers } from '../port.ts';
import { BatchTable } from './batch-table.ts';
import { recordSize, type RecordRow } from './records.ts';

/** Records per batch when a log kept as one row per record is stored again as batches. */
const BATCH = 1_000;

type RowOfRecord = [offset: number, timestamp: number, key: Uint8Array | null, value: Uint8Array | null, headers: string | null];

/**
 * Brings a data directory of an older schema to the current one (3), inside the caller's transaction. Done once,
 * when a Herald of this version first opens the directory.
 *
 * - Version 1 kept every log as one row per record (`off, ts, k, v, h`, headers as JSON) and no log start: the
 *   `logs` table gains `start_offset` (the first stored offset, else the next) and every log is stored again as
 *   record batches in offset order.
 * - Version 2 kept normal topics as batches already but compacted topics still as rows (indexed by key): those
 *   are stored again as batches.
 *
 * Every converted log's byte count is recomputed with `recordSize`.
 */
export function migrate(db: DatabaseSync, version: 1 | 2): void {
  if (version === 1) db.exec('ALTER TABLE logs ADD COLUMN start_offset INTEGER NOT NULL DEFAULT 0');
  const logs = db
    .prepare('SELECT logs.id AS id, logs.next_offset AS next, topics.compacted AS compacted FROM logs JOIN topics ON topics.id = logs.topic_id')
    .all() as { id: number; next: number; compacted: number }[];
  const setStart = db.prepare('UPDATE logs SET start_offset = ? WHERE id = ?');
  const setBytes = db.prepare('UPDATE logs SET bytes = ? WHERE id = ?');
  for (const log of logs) {
    if (version === 2 && log.compacted !== 1) continue;
    const table = `log_${log.id}`;
    if (version === 1) {
      const first = db.prepare(`SELECT min(off) AS first FROM ${table}`).get() as { first: number | null };
      setStart.run(first.first ?? log.next, log.id);
    }
    setBytes.run(storeRowsAsBatches(db, table), log.id);
  }
}

/** Replaces the one-row-per-record table `table` by a batch table of the same records; returns their bytes. */
function storeRowsAsBatches(db: DatabaseSync, table: string): number {
  db.exec(`ALTER TABLE ${table} RENAME TO ${table}_rows`);
  db.exec(`DROP INDEX IF EXISTS ${table}_by_key`);
  BatchTable.create(db, table);
  const batches = new BatchTable(db, table);
  const select = db.prepare(`SELECT off, ts, k, v, h FROM ${table}_rows ORDER BY off`);
  select.setReturnArrays(true);
  let bytes = 0;
  let run: RecordRow[] = [];
  let runSize = 0;
  const flush = () => {
    if (run.length > 0) batches.insert(run, 0, run.length, runSize);
    run = [];
    runSize = 0;
  };
  for (const stored of select.iterate() as unknown as Iterable<RowOfRecord>) {
    const headers = stored[4] === null ? null : (JSON.parse(stored[4]) as Headers);
    const row: RecordRow = [stored[0], stored[1], stored[2], stored[3], headers];
    // A batch may hold gaps (a compacted log's), as compaction leaves them.
    if (run.length === BATCH) flush();
    const size = recordSize(row[2], row[3], headers);
    run.push(row);
    runSize += size;
    bytes += size;
  }
  flush();
  db.exec(`DROP TABLE ${table}_rows`);
  return bytes;
}
