import type { DatabaseSync } from 'node:sqlite';
import { bulkTable } from './bulk-store.ts';
import { encodeBatch } from './kafka-protocol/records/encode-batch.ts';
import { TableStatements } from './table-statements.ts';
import type { RecordRow } from './records.ts';
import { decodeStoredBatch } from './stored-batch.ts';

/** `[offset, timestamp, size]` of a stored record, for retention. */
export type SizeRow = [offset: number, timestamp: number, size: number];

/** A stored batch as queries return it: its last and first offsets, max timestamp, size and bytes. */
type BatchRow = [last: number, first: number, ts: number, size: number, b: Uint8Array];
/** A stored batch without its bytes: last and first offsets and the length of its bytes. */
export type BatchEntry = [last: number, first: number, length: number];

/** The bytes of a row whose batch is in the bulk database. */
const EMPTY = new Uint8Array(0);

/**
 * A partition's log in SQLite: one row per record batch — Kafka's record batch v2, uncompressed, with its real
 * offsets (the CRC of a batch Herald encoded is left 0 until a Kafka fetch sends it) — keyed by the batch's last
 * offset, so that "the batch holding offset N" is one seek. Appends insert a row per batch instead of per record
 * (the embedded log's main cost under load was SQLite's per-row work: for a processor's changelog, one row per
 * record with an index by key took 12% of an exactly-once run and made its commits dirty pages all over the
 * index), and a Kafka fetch sends stored batches as they are. `ts` is the batch's largest timestamp, `size` the
 * `recordSize` sum of its records (for retention). A batch may hold gaps between its offsets: compaction and
 * aborted transactions remove records from inside batches ({@link filter}). Every method runs synchronously,
 * inside the caller's transaction where it writes.
 *
 * A large batch from a Kafka producer is kept in the bulk database instead (see `BulkStore`): its row here has
 * empty bytes, and every query reads them through {@link #bytesOf}. A row removed or stored again here by
 * compaction or an abort leaves its old bytes there, named by nothing, until the next start; neither happens to
 * such batches, which are never part of a transaction or on a compacted topic.
 */
export class BatchTable {
  readonly #db: DatabaseSync;
  readonly #table: string;
  readonly #logId: number | undefined;
  #statements: TableStatements;
  /** Whether the log has a table in the bulk database, read through by every query. */
  #bulk = false;

  /** `logId`: the log whose table this is, which may keep large batches in the bulk database. */
  constructor(db: DatabaseSync, table: string, logId?: number, bulk = false) {
    this.#db = db;
    this.#statements = new TableStatements(db);
    this.#table = table;
    this.#logId = logId;
    this.#bulk = bulk;
  }

  /** Whether the log has a table in the bulk database. */
  get bulk(): boolean {
    return this.#bulk;
  }

  /** The log's table in the bulk database now exists: queries read through it from now on. */
  useBulk(): void {
    if (this.#bulk) return;
    this.#bulk = true;
    this.#statements = new TableStatements(this.#db);
  }

  /** The SQL for a row's bytes (the row aliased `m`): its own, or those in the bulk database when it has none. */
  get #bytesOf(): string {
    if (!this.#bulk) return 'm.b';
    return `CASE WHEN length(m.b) = 0 THEN (SELECT k.b FROM ${bulkTable(this.#logId!)} k WHERE k.last = m.last) ELSE m.b END`;
  }

  /** The SQL for the length of a row's bytes (the row aliased `m`), without reading them. */
  get #lengthOf(): string {
    if (!this.#bulk) return 'length(m.b)';
    return `CASE WHEN length(m.b) = 0 THEN (SELECT length(k.b) FROM ${bulkTable(this.#logId!)} k WHERE k.last = m.last) ELSE length(m.b) END`;
  }

  static create(db: DatabaseSync, table: string): void {
    db.exec(
      `CREATE TABLE ${table} (last INTEGER PRIMARY KEY, first INTEGER NOT NULL, ts INTEGER NOT NULL, size INTEGER NOT NULL, b BLOB NOT NULL)`,
    );
  }

  /** Stores `rows[start, end)` (ascending offsets) as one batch; `size` is their `recordSize` sum. Returns the batch. */
  insert(rows: readonly RecordRow[], start: number, end: number, size: number): Buffer {
    let ts = rows[start][1];
    for (let i = start + 1; i < end; i++) if (rows[i][1] > ts) ts = rows[i][1];
    const batch = encodeBatch(rows, 0, undefined, start, end, false);
    this.insertBatch(rows[end - 1][0], rows[start][0], ts, size, batch);
    return batch;
  }

  /**
   * Stores an encoded batch covering offsets `[first, last]`; `inBulk`: its bytes were stored in the bulk database
   * by {@link insertBulk}, committed before this row.
   */
  insertBatch(last: number, first: number, maxTimestamp: number, size: number, batch: Uint8Array, inBulk = false): void {
    this.#statements.get('insert', () => `INSERT INTO ${this.#table} (last, first, ts, size, b) VALUES (?, ?, ?, ?, ?)`).run(
      last,
      first,
      maxTimestamp,
      size,
      inBulk ? EMPTY : batch,
    );
  }

  /**
   * Stores the bytes of the batch ending at `last` in the bulk database (its table made by `BulkStore.create`), in
   * a transaction committed before the one that inserts its row. Replaces bytes a failed write left at `last`.
   */
  insertBulk(last: number, batch: Uint8Array): void {
    this.#statements.get('insertBulk', () => `INSERT OR REPLACE INTO ${bulkTable(this.#logId!)} (last, b) VALUES (?, ?)`).run(last, batch);
  }

  /** Deletes the bulk bytes of batches wholly below `offset`, once their rows' deletion is durable. */
  deleteBulkBelow(offset: number): void {
    this.#statements.get('deleteBulkBelow', () => `DELETE FROM ${bulkTable(this.#logId!)} WHERE last < ?`).run(offset);
  }

  /**
   * At start, before anything reads the log: deletes rows whose bytes are missing from the bulk database (an OS
   * crash lost them: written after its last synced commit, or deleted by retention after the rows' deletion, whose
   * commit the crash lost) and bytes no row names (a kill between the two commits of a write, or of a deletion).
   * Bytes are written and deleted in offset order, so a row can miss its bytes only after the newest or before the
   * oldest bytes stored. A log without a bulk table (its file was lost, and `acceptEmptyStorage` let the broker
   * start) loses every such row. Inside the caller's transaction; returns how many rows were deleted and their
   * `size` sum.
   */
  reconcileBulk(): [removed: number, freed: number] {
    if (!this.#bulk) return this.#deleteEmpty('');
    const bulk = bulkTable(this.#logId!);
    this.#db
      .prepare(`DELETE FROM ${bulk} WHERE NOT EXISTS (SELECT 1 FROM main.${this.#table} m WHERE m.last = ${bulk}.last AND length(m.b) = 0)`)
      .run();
    const { newest, oldest } = this.#db.prepare(`SELECT max(last) AS newest, min(last) AS oldest FROM ${bulk}`).get() as {
      newest: number | null;
      oldest: number | null;
    };
    const [removed, freed] = this.#deleteEmpty('last > ? AND', newest ?? -1);
    if (oldest === null) return [removed, freed];
    const [before, beforeFreed] = this.#deleteEmpty('last < ? AND', oldest);
    return [removed + before, freed + beforeFreed];
  }

  /** Deletes the rows with empty bytes that also match `range` (SQL ending in AND, with one parameter, or ''). */
  #deleteEmpty(range: string, ...bound: number[]): [removed: number, freed: number] {
    const where = `WHERE ${range} length(b) = 0`;
    const found = this.#db.prepare(`SELECT count(*) AS n, coalesce(sum(size), 0) AS size FROM ${this.#table} ${where}`).get(...bound) as {
      n: number;
      size: number;
    };
    if (found.n > 0) this.#db.prepare(`DELETE FROM ${this.#table} ${where}`).run(...bound);
    return [found.n, found.size];
  }

  /**
   * The stored batches whose last offset is >= `from`, in offset order, without their bytes (see {@link bytes}):
   * stepped through lazily, so a reader that stops early reads no further. Do not write to the table while
   * iterating.
   */
  *entries(from: number): Generator<BatchEntry, void, undefined> {
    const statement = this.#statements.get(
      'entries',
      () => `SELECT m.last, m.first, ${this.#lengthOf} FROM ${this.#table} m WHERE m.last >= ? ORDER BY m.last`,
    );
    yield* statement.iterate(from) as unknown as Iterable<BatchEntry>;
  }

  /** The bytes of the batch ending at `last` (an offset {@link entries} gave). */
  bytes(last: number): Uint8Array {
    const row = this.#statements.get('bytes', () => `SELECT ${this.#bytesOf} FROM ${this.#table} m WHERE m.last = ?`).get(last) as unknown as [Uint8Array];
    return row[0];
  }

  /** Appends to `out` the records with offset >= `from` of the batch ending at `last` (an offset {@link entries} gave). */
  decode(last: number, from: number, out: RecordRow[]): void {
    decodeStoredBatch(this.bytes(last), from, out, Number.MAX_SAFE_INTEGER);
  }

  /** Up to `limit` stored records with offset >= `from`, in offset order. */
  read(from: number, limit: number): RecordRow[] {
    const out: RecordRow[] = [];
    for (const [last] of this.entries(from)) {
      decodeStoredBatch(this.bytes(last), from, out, limit);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Deletes the records with offset in `[first, last]`; returns the bytes they held. */
  deleteRange(first: number, last: number): number {
    const overlapping = this.#statements.get(
      'overlapping',
      () => `SELECT m.last, m.first, m.ts, m.size, ${this.#bytesOf} FROM ${this.#table} m WHERE m.last >= ? AND m.first <= ? ORDER BY m.last`,
    );
    const remove = this.#statements.get('remove', () => `DELETE FROM ${this.#table} WHERE last = ?`);
    let freed = 0;
    for (const [batchLast, batchFirst, , size, b] of overlapping.all(first, last) as unknown as BatchRow[]) {
      remove.run(batchLast);
      if (batchFirst >= first && batchLast <= last) {
        freed += size;
        continue;
      }
      // Partly inside: the batch is written again with only the records outside the range.
      const rows: RecordRow[] = [];
      const sizes: number[] = [];
      decodeStoredBatch(b, batchFirst, rows, Number.MAX_SAFE_INTEGER, sizes);
      this.#keep(rows, sizes, (offset) => offset < first || offset > last);
      for (let i = 0; i < rows.length; i++) if (rows[i][0] >= first && rows[i][0] <= last) freed += sizes[i];
    }
    return freed;
  }

  /** Stores again, as runs of contiguous offsets, the records of `rows` that `keep` accepts. */
  #keep(rows: RecordRow[], sizes: number[], keep: (offset: number) => boolean): void {
    let start = -1;
    let size = 0;
    const flush = (end: number) => {
      if (start >= 0) this.insert(rows, start, end, size);
      start = -1;
      size = 0;
    };
    for (let i = 0; i < rows.length; i++) {
      if (!keep(rows[i][0])) {
        flush(i);
        continue;
      }
      if (start >= 0 && rows[i][0] !== rows[i - 1][0] + 1) flush(i);
      if (start < 0) start = i;
      size += sizes[i];
    }
    flush(rows.length);
  }

  /**
   * Stores the batch ending at `last` again with only the records `keep` accepts, or deletes it when it keeps
   * none. The batch keeps its last offset, as Kafka's cleaner does, so that a consumer reading it moves past the
   * records removed at its end. Returns how many records were removed and the bytes they held.
   */
  filter(last: number, keep: (row: RecordRow) => boolean): [removed: number, freed: number] {
    const stored = this.#statements.get('batch', () => `SELECT m.last, m.first, m.ts, m.size, ${this.#bytesOf} FROM ${this.#table} m WHERE m.last = ?`).get(last) as unknown as
      | BatchRow
      | undefined;
    if (stored === undefined) return [0, 0];
    const rows: RecordRow[] = [];
    const sizes: number[] = [];
    decodeStoredBatch(stored[4], stored[1], rows, Number.MAX_SAFE_INTEGER, sizes);
    const kept: RecordRow[] = [];
    let keptSize = 0;
    let freed = 0;
    let maxTimestamp = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < rows.length; i++) {
      if (keep(rows[i])) {
        kept.push(rows[i]);
        keptSize += sizes[i];
        if (rows[i][1] > maxTimestamp) maxTimestamp = rows[i][1];
      } else freed += sizes[i];
    }
    const removed = rows.length - kept.length;
    if (removed === 0) return [0, 0];
    this.#statements.get('remove', () => `DELETE FROM ${this.#table} WHERE last = ?`).run(last);
    if (kept.length > 0) this.insertBatch(last, kept[0][0], maxTimestamp, keptSize, encodeBatch(kept, 0, last, 0, kept.length, false));
    return [removed, freed];
  }

  /** The first stored offset >= `from`, or undefined. */
  firstFrom(from: number): number | undefined {
    for (const [, first] of this.entries(from)) return Math.max(first, from);
    return undefined;
  }

  /** `[offset, timestamp]` of the first record at or after `from` stamped at or after `timestamp`, or undefined. */
  firstAtOrAfter(from: number, timestamp: number): [offset: number, timestamp: number] | undefined {
    const statement = this.#statements.get(
      'reachingTimestamp',
      () => `SELECT m.last, m.first, m.ts, m.size, ${this.#bytesOf} FROM ${this.#table} m WHERE m.last >= ? AND m.ts >= ? ORDER BY m.last LIMIT 1`,
    );
    let next = from;
    for (;;) {
      const row = statement.get(next, timestamp) as unknown as BatchRow | undefined;
      if (row === undefined) return undefined;
      const rows: RecordRow[] = [];
      decodeStoredBatch(row[4], from, rows, Number.MAX_SAFE_INTEGER);
      const found = rows.find((r) => r[1] >= timestamp);
      if (found !== undefined) return [found[0], found[1]];
      next = row[0] + 1;
    }
  }

  /** `[offset, timestamp]` of the record at or after `from` with the largest timestamp (first of equals). */
  newestTimestamp(from: number): [offset: number, timestamp: number] | undefined {
    const statement = this.#statements.get(
      'newestBatch',
      () => `SELECT m.last, m.first, m.ts, m.size, ${this.#bytesOf} FROM ${this.#table} m WHERE m.last >= ? ORDER BY m.ts DESC, m.last LIMIT 1`,
    );
    const row = statement.get(from) as unknown as BatchRow | undefined;
    if (row === undefined) return undefined;
    const rows: RecordRow[] = [];
    decodeStoredBatch(row[4], from, rows, Number.MAX_SAFE_INTEGER);
    let newest: RecordRow | undefined;
    for (const r of rows) if (newest === undefined || r[1] > newest[1]) newest = r;
    return newest === undefined ? undefined : [newest[0], newest[1]];
  }

  /** `[offset, timestamp, size]` of up to `limit` records from `from` on, in offset order. */
  sizes(from: number, limit: number): SizeRow[] {
    const out: SizeRow[] = [];
    for (const [last] of this.entries(from)) {
      const rows: RecordRow[] = [];
      const sizes: number[] = [];
      decodeStoredBatch(this.bytes(last), from, rows, limit - out.length, sizes);
      for (let i = 0; i < rows.length; i++) out.push([rows[i][0], rows[i][1], sizes[i]]);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Deletes what is stored wholly below `offset` (a batch reaching `offset` stays, its older records unread). */
  deleteBelow(offset: number): void {
    this.#statements.get('deleteBelow', () => `DELETE FROM ${this.#table} WHERE last < ?`).run(offset);
  }
}
