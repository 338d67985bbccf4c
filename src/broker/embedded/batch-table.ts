import type { DatabaseSync } from 'node:sqlite';
import { type BulkStore, isPointer, POINTER_BYTES, pointedLength } from './bulk-store.ts';
import { encodeBatch } from './kafka-protocol/records/encode-batch.ts';
import { TableStatements } from './table-statements.ts';
import type { RecordRow } from './records.ts';
import { decodeStoredBatch } from './stored-batch.ts';

/** `[offset, timestamp, size]` of a stored record, for retention. */
export type SizeRow = [offset: number, timestamp: number, size: number];

/** A stored batch as queries return it: its last and first offsets, max timestamp, size and bytes. */
type BatchRow = [last: number, first: number, ts: number, size: number, b: Uint8Array];
/**
 * A stored batch without its bytes: last and first offsets, the length of its bytes, and where they are in the bulk
 * files when they are there (see {@link BatchTable.bulkBytes}).
 */
export type BatchEntry = [last: number, first: number, length: number, pointer?: Uint8Array];

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
 * A large batch from a Kafka producer is kept in a segment file instead (see `BulkStore`): its row here holds a
 * pointer to it as its bytes, and every read follows it ({@link #bytesOf}). A row removed or stored again here by
 * compaction or an abort would leave its old bytes there, named by nothing; neither happens to such batches, which
 * are never part of a transaction or on a compacted topic.
 */
export class BatchTable {
  readonly #db: DatabaseSync;
  readonly #table: string;
  readonly #logId: number | undefined;
  readonly #statements: TableStatements;
  /** The bulk files, once the log has a directory there: rows holding a pointer are read from them. */
  #bulk: BulkStore | undefined;

  /** `logId`: the log whose table this is; `bulk`: the bulk files, when the log keeps large batches there. */
  constructor(db: DatabaseSync, table: string, logId?: number, bulk?: BulkStore) {
    this.#db = db;
    this.#statements = new TableStatements(db);
    this.#table = table;
    this.#logId = logId;
    this.#bulk = bulk;
  }

  /** Whether the log keeps large batches in the bulk files. */
  get bulk(): boolean {
    return this.#bulk !== undefined;
  }

  /** The log's bulk directory now exists: reads look there from now on. */
  useBulk(bulk: BulkStore): void {
    this.#bulk = bulk;
  }

  /** A row's bytes: its batch, or, when they are a pointer, the batch in the bulk files. */
  #bytesOf(b: Uint8Array): Uint8Array {
    if (this.#bulk === undefined || !isPointer(b)) return b;
    return this.#bulk.read(this.#logId!, b);
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
   * Stores an encoded batch covering offsets `[first, last]`: `batch`, or the pointer to it in the bulk files
   * (written by `PartitionLog.insertBulk` before this row).
   */
  insertBatch(last: number, first: number, maxTimestamp: number, size: number, batch: Uint8Array): void {
    this.#statements.get('insert', () => `INSERT INTO ${this.#table} (last, first, ts, size, b) VALUES (?, ?, ?, ?, ?)`).run(
      last,
      first,
      maxTimestamp,
      size,
      batch,
    );
  }

  /**
   * At start, before anything reads the log: deletes the rows pointing at a batch the bulk files do not hold whole —
   * after the newest they hold (an OS crash lost their bytes, written after the last sync; or all, when the files
   * are gone and `acceptEmptyStorage` let the broker start) or before the oldest (retention deleted them after the
   * rows' deletion, whose commit the crash lost) — then cuts off what no row names (see `BulkStore.keepOnly`).
   * Bytes are written and deleted in offset order, so nothing is missing in between. Inside the caller's
   * transaction; returns how many rows were deleted and their `size` sum.
   */
  reconcileBulk(bulk: BulkStore): [removed: number, freed: number] {
    const pointers = (order: 'ASC' | 'DESC') =>
      this.#db
        .prepare(`SELECT last, size, b FROM ${this.#table} WHERE length(b) = ${POINTER_BYTES} ORDER BY last ${order}`)
        .iterate() as Iterable<{ last: number; size: number; b: Uint8Array }>;
    const lost = new Map<number, number>();
    const firstHeld = (order: 'ASC' | 'DESC'): Uint8Array | undefined => {
      for (const row of pointers(order)) {
        if (bulk.holds(this.#logId!, row.b)) return row.b;
        lost.set(row.last, row.size);
      }
      return undefined;
    };
    const newest = firstHeld('DESC');
    const oldest = newest === undefined ? undefined : firstHeld('ASC');
    const remove = this.#db.prepare(`DELETE FROM ${this.#table} WHERE last = ?`);
    let freed = 0;
    for (const [last, size] of lost) {
      remove.run(last);
      freed += size;
    }
    bulk.keepOnly(this.#logId!, oldest, newest);
    return [lost.size, freed];
  }

  /**
   * The stored batches whose last offset is >= `from`, in offset order, without their bytes (see {@link bytes}):
   * stepped through lazily, so a reader that stops early reads no further. Do not write to the table while
   * iterating.
   */
  *entries(from: number): Generator<BatchEntry, void, undefined> {
    if (this.#bulk === undefined) {
      const statement = this.#statements.get('entries', () => `SELECT last, first, length(b) FROM ${this.#table} WHERE last >= ? ORDER BY last`);
      return yield* statement.iterate(from) as unknown as Iterable<BatchEntry>;
    }
    // A pointer instead of its length: 16 bytes in the row's own cell.
    const statement = this.#statements.get(
      'bulkEntries',
      () =>
        `SELECT last, first, CASE WHEN length(b) = ${POINTER_BYTES} THEN b ELSE length(b) END FROM ${this.#table} WHERE last >= ? ORDER BY last`,
    );
    for (const entry of statement.iterate(from) as unknown as Iterable<[number, number, number | Uint8Array]>) {
      const lengthOrPointer = entry[2];
      yield typeof lengthOrPointer === 'number'
        ? (entry as BatchEntry)
        : [entry[0], entry[1], pointedLength(lengthOrPointer), lengthOrPointer];
    }
  }

  /** The bytes of the batch ending at `last` (an offset {@link entries} gave). */
  bytes(last: number): Uint8Array {
    const row = this.#statements.get('bytes', () => `SELECT b FROM ${this.#table} WHERE last = ?`).get(last) as unknown as [Uint8Array];
    return this.#bytesOf(row[0]);
  }

  /**
   * The bytes of batches in the bulk files, from their `pointers` (in offset order, as {@link entries} gave them),
   * as few buffers as they lie one after another in a file.
   */
  bulkBytes(pointers: readonly Uint8Array[]): Buffer[] {
    return this.#bulk!.readRun(this.#logId!, pointers);
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
      () => `SELECT last, first, ts, size, b FROM ${this.#table} WHERE last >= ? AND first <= ? ORDER BY last`,
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
      decodeStoredBatch(this.#bytesOf(b), batchFirst, rows, Number.MAX_SAFE_INTEGER, sizes);
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
    const stored = this.#statements.get('batch', () => `SELECT last, first, ts, size, b FROM ${this.#table} WHERE last = ?`).get(last) as unknown as
      | BatchRow
      | undefined;
    if (stored === undefined) return [0, 0];
    const rows: RecordRow[] = [];
    const sizes: number[] = [];
    decodeStoredBatch(this.#bytesOf(stored[4]), stored[1], rows, Number.MAX_SAFE_INTEGER, sizes);
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
      () => `SELECT last, first, ts, size, b FROM ${this.#table} WHERE last >= ? AND ts >= ? ORDER BY last LIMIT 1`,
    );
    let next = from;
    for (;;) {
      const row = statement.get(next, timestamp) as unknown as BatchRow | undefined;
      if (row === undefined) return undefined;
      const rows: RecordRow[] = [];
      decodeStoredBatch(this.#bytesOf(row[4]), from, rows, Number.MAX_SAFE_INTEGER);
      const found = rows.find((r) => r[1] >= timestamp);
      if (found !== undefined) return [found[0], found[1]];
      next = row[0] + 1;
    }
  }

  /** `[offset, timestamp]` of the record at or after `from` with the largest timestamp (first of equals). */
  newestTimestamp(from: number): [offset: number, timestamp: number] | undefined {
    const statement = this.#statements.get(
      'newestBatch',
      () => `SELECT last, first, ts, size, b FROM ${this.#table} WHERE last >= ? ORDER BY ts DESC, last LIMIT 1`,
    );
    const row = statement.get(from) as unknown as BatchRow | undefined;
    if (row === undefined) return undefined;
    const rows: RecordRow[] = [];
    decodeStoredBatch(this.#bytesOf(row[4]), from, rows, Number.MAX_SAFE_INTEGER);
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
