import type { DatabaseSync } from 'node:sqlite';
import type { Headers } from '../port.ts';
import { BatchTable } from './batch-table.ts';
import { recordSize, type RecordRow } from './records.ts';
import { ROW_SIZE_SQL } from './row-table.ts';

/** Records per batch when rows of a version-1 log are stored again as batches. */
const BATCH = 1_000;

type V1Row = [offset: number, timestamp: number, key: Uint8Array | null, value: Uint8Array | null, headers: string | null];

/**
 * Brings a data directory of schema version 1 — every log one row per record — to version 2, inside the caller's
 * transaction: the `logs` table gains `start_offset` (the first stored offset, else the next), a normal topic's
 * log is stored again as record batches in offset order, and every log's byte count is recomputed with
 * `recordSize`. Done once, when a Herald of this version first opens the directory.
 */
export function migrateFromV1(db: DatabaseSync): void {
  db.exec('ALTER TABLE logs ADD COLUMN start_offset INTEGER NOT NULL DEFAULT 0');
  const logs = db
    .prepare('SELECT logs.id AS id, logs.next_offset AS next, topics.compacted AS compacted FROM logs JOIN topics ON topics.id = logs.topic_id')
    .all() as { id: number; next: number; compacted: number }[];
  const update = db.prepare('UPDATE logs SET start_offset = ?, bytes = ? WHERE id = ?');
  for (const log of logs) {
    const table = `log_${log.id}`;
    const first = db.prepare(`SELECT min(off) AS first FROM ${table}`).get() as { first: number | null };
    if (log.compacted === 1) {
      const total = db.prepare(`SELECT ifnull(sum(${ROW_SIZE_SQL}), 0) AS bytes FROM ${table}`).get() as { bytes: number };
      update.run(first.first ?? log.next, total.bytes, log.id);
      continue;
    }
    db.exec(`ALTER TABLE ${table} RENAME TO ${table}_v1`);
    BatchTable.create(db, table);
    const batches = new BatchTable(db, table);
    const select = db.prepare(`SELECT off, ts, k, v, h FROM ${table}_v1 ORDER BY off`);
    select.setReturnArrays(true);
    let bytes = 0;
    let run: RecordRow[] = [];
    let runSize = 0;
    const flush = () => {
      if (run.length > 0) batches.insert(run, 0, run.length, runSize);
      run = [];
      runSize = 0;
    };
    for (const stored of select.iterate() as unknown as Iterable<V1Row>) {
      const headers = stored[4] === null ? null : (JSON.parse(stored[4]) as Headers);
      const row: RecordRow = [stored[0], stored[1], stored[2], stored[3], headers];
      // A batch holds contiguous offsets (a version-1 log has no gaps but below its start).
      if (run.length === BATCH || (run.length > 0 && row[0] !== run[run.length - 1][0] + 1)) flush();
      const size = recordSize(row[2], row[3], headers);
      run.push(row);
      runSize += size;
      bytes += size;
    }
    flush();
    db.exec(`DROP TABLE ${table}_v1`);
    update.run(first.first ?? log.next, bytes, log.id);
  }
}
