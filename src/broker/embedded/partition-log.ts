import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { RECORD_SIZE_SQL, type RecordRow } from './records.ts';
import { TailCache } from './tail-cache.ts';
import type { OpenTransaction } from './open-transaction.ts';

/**
 * A topic as the broker holds it in memory; the database is the durable copy. Declared beside the partition log
 * rather than the registry: a log points at its topic and a topic lists its logs.
 */
export interface TopicState {
  readonly id: number;
  readonly name: string;
  readonly compacted: boolean;
  readonly retentionMs: number | null;
  readonly retentionBytes: number | null;
  /** Tombstone retention of a compacted topic, from `configs['delete.retention.ms']`; null => broker default. */
  readonly deleteRetentionMs: number | null;
  readonly configs: Record<string, string>;
  readonly logs: PartitionLog[];
  /** Next partition for records with neither key nor partition (round-robin). */
  spread: number;
  /** Set once deleted, for fetchers and queued sends still holding the object. */
  deleted: boolean;
}

/** Values bound per stored record, in column order: offset, timestamp, key, value, headers. */
export const COLUMNS_PER_ROW = 5;
/** Rows per multi-row INSERT: fewer statement executions per batch, bounded SQL size. */
const CHUNKS = [64, 8, 1] as const;

/** `[offset, timestamp, size]` of a stored record, for retention. */
export type SizeRow = [offset: number, timestamp: number, size: number];
/** `[key, newest offset of the key in the range, whether that newest record is a tombstone]`, for compaction. */
export type KeyRow = [key: Uint8Array, offset: number, tombstone: number];

function tableName(logId: number): string {
  return `log_${logId}`;
}

/**
 * One partition: its table, its in-memory end (`end`, `bytes`) and lazily prepared statements. `end` and `bytes`
 * are only changed inside a transaction that also writes them to the `logs` table.
 *
 * Readers see the log up to {@link next}, its last stable offset: the first offset of the oldest transaction still
 * open on it (see {@link OpenTransaction}), else {@link end}. Every reader of the broker goes through `next` and
 * {@link read}, so records of an open transaction stay invisible until it commits (and are removed if it aborts).
 */
export class PartitionLog {
  readonly id: number;
  readonly topic: TopicState;
  readonly partition: number;
  /** The offset the next appended record gets (Kafka's high watermark). Moved by the writer only. */
  end: number;
  /** Bytes stored (see `recordSize`). */
  bytes: number;
  /** Compaction progress: every record below it has been compacted against all newer keys below it. */
  cleanedUpTo = 0;
  /** Tombstones compaction has seen as the newest record of their key: removable after the delete retention. */
  readonly pendingTombstones: { offset: number; seenAt: number }[] = [];
  readonly #db: DatabaseSync;
  readonly #table: string;
  readonly #statements = new Map<string, StatementSync>();
  /** The newest records, for reads at the end of the log (see {@link TailCache}). */
  readonly #tail = new TailCache();
  /** First offset of each transaction open on this partition; Map order is offset order (opened in append order). */
  readonly #open = new Map<OpenTransaction, number>();
  /** The first offset of the oldest open transaction, or undefined when none is open. */
  #stable: number | undefined;
  /** Kafka's log start offset once known (see {@link logStart}). */
  #start: number | undefined;

  constructor(db: DatabaseSync, id: number, topic: TopicState, partition: number, end: number, bytes: number) {
    this.#db = db;
    this.id = id;
    this.topic = topic;
    this.partition = partition;
    this.end = end;
    this.bytes = bytes;
    this.#table = tableName(id);
  }

  /** Creates the table of a new log (inside the caller's transaction). Compacted logs get an index by key. */
  static createTable(db: DatabaseSync, logId: number, compacted: boolean): void {
    const table = tableName(logId);
    db.exec(`CREATE TABLE ${table} (off INTEGER PRIMARY KEY, ts INTEGER NOT NULL, k BLOB, v BLOB, h TEXT)`);
    if (compacted) db.exec(`CREATE INDEX ${table}_by_key ON ${table} (k, off)`);
  }

  /** Drops the table of a log (inside the caller's transaction). */
  static dropTable(db: DatabaseSync, logId: number): void {
    db.exec(`DROP TABLE IF EXISTS ${tableName(logId)}`);
  }

  /**
   * The end readers see — Kafka's last stable offset: the first offset of the oldest open transaction on this
   * partition, else {@link end}. Records from here on are not handed to anyone but read_uncommitted Kafka fetches.
   */
  get next(): number {
    return this.#stable ?? this.end;
  }

  /** Marks `transaction` open on this partition from offset `first` on, unless it already is (writer only). */
  hold(transaction: OpenTransaction, first: number): void {
    if (this.#open.has(transaction)) return;
    this.#open.set(transaction, first);
    this.#stable ??= first;
  }

  /** `transaction` ended: the last stable offset moves to the next open one's first offset, or the end. */
  release(transaction: OpenTransaction): void {
    if (!this.#open.delete(transaction)) return;
    this.#stable = undefined;
    for (const first of this.#open.values()) {
      this.#stable = first;
      break;
    }
  }

  /** Lets go of what this log holds in memory (its table is dropped by the registry). */
  forget(): void {
    this.#tail.clear();
    this.#statements.clear();
  }

  #statement(name: string, sql: () => string, arrays = false): StatementSync {
    let statement = this.#statements.get(name);
    if (statement === undefined) {
      statement = this.#db.prepare(sql());
      if (arrays) statement.setReturnArrays(true);
      this.#statements.set(name, statement);
    }
    return statement;
  }

  /** Inserts `params.length / COLUMNS_PER_ROW` rows laid out as {@link COLUMNS_PER_ROW} values each. */
  insert(params: SQLInputValue[]): void {
    let rows = params.length / COLUMNS_PER_ROW;
    let at = 0;
    for (const chunk of CHUNKS) {
      if (rows < chunk) continue;
      const statement = this.#statement(`insert${chunk}`, () => {
        const row = '(?, ?, ?, ?, ?)';
        return `INSERT INTO ${this.#table} (off, ts, k, v, h) VALUES ${new Array(chunk).fill(row).join(', ')}`;
      });
      const width = chunk * COLUMNS_PER_ROW;
      while (rows >= chunk) {
        statement.run(...(at === 0 && width === params.length ? params : params.slice(at, at + width)));
        at += width;
        rows -= chunk;
      }
    }
  }

  /**
   * After the transaction that {@link insert}ed `params` committed: keeps those rows for reads at the end of the
   * log.
   */
  committed(params: SQLInputValue[]): void {
    this.#tail.add(params, COLUMNS_PER_ROW);
  }

  /**
   * Up to `limit` records with `from` <= offset < `upTo`, in offset order: from memory at the end of the log.
   * `upTo` defaults to {@link next} (what readers may see); read_uncommitted Kafka fetches pass {@link end}.
   */
  read(from: number, limit: number, upTo = this.next): RecordRow[] {
    if (from >= upTo) return [];
    let rows = this.#tail.read(from, limit);
    if (rows === undefined) {
      const statement = this.#statement(
        'read',
        () => `SELECT off, ts, k, v, h FROM ${this.#table} WHERE off >= ? ORDER BY off LIMIT ?`,
        true,
      );
      rows = statement.all(from, limit) as unknown as RecordRow[];
    }
    if (upTo < this.end && rows.length > 0 && rows[rows.length - 1][0] >= upTo) {
      let keep = rows.length - 1;
      while (keep > 0 && rows[keep - 1][0] >= upTo) keep--;
      rows = rows.slice(0, keep);
    }
    return rows;
  }

  /**
   * Deletes the records with offset in `[first, last]` (an aborted transaction's); returns the bytes they held.
   * Inside the caller's transaction.
   */
  deleteRange(first: number, last: number): number {
    this.logStart();
    this.#tail.clear();
    const statement = this.#statement(
      'deleteRange',
      () => `DELETE FROM ${this.#table} WHERE off >= ? AND off <= ? RETURNING ${RECORD_SIZE_SQL}`,
      true,
    );
    let freed = 0;
    for (const [size] of statement.all(first, last) as unknown as [number][]) freed += size;
    return freed;
  }

  /** The first stored offset, or `end` when the partition holds nothing. */
  earliest(): number {
    const statement = this.#statement('earliest', () => `SELECT off FROM ${this.#table} ORDER BY off LIMIT 1`, true);
    const row = statement.get() as unknown as [number] | undefined;
    return row === undefined ? this.end : row[0];
  }

  /**
   * `[offset, timestamp]` of the first record (in offset order) stamped at or after `timestamp`, or undefined.
   * Scans the partition: there is no index on time (Kafka clients ask for it rarely, to seek by time).
   */
  firstAtOrAfter(timestamp: number): [offset: number, timestamp: number] | undefined {
    const statement = this.#statement(
      'firstAtOrAfter',
      () => `SELECT off, ts FROM ${this.#table} WHERE ts >= ? ORDER BY off LIMIT 1`,
      true,
    );
    return statement.get(timestamp) as unknown as [number, number] | undefined;
  }

  /** `[offset, timestamp]` of the record with the largest timestamp (the first of equals), or undefined. */
  newestTimestamp(): [offset: number, timestamp: number] | undefined {
    const statement = this.#statement(
      'newestTimestamp',
      () => `SELECT off, ts FROM ${this.#table} ORDER BY ts DESC, off LIMIT 1`,
      true,
    );
    return statement.get() as unknown as [number, number] | undefined;
  }

  /** `[offset, timestamp, size]` of up to `limit` records from `from` on, in offset order. */
  sizes(from: number, limit: number): SizeRow[] {
    const statement = this.#statement(
      'sizes',
      () => `SELECT off, ts, ${RECORD_SIZE_SQL} FROM ${this.#table} WHERE off >= ? ORDER BY off LIMIT ?`,
      true,
    );
    return statement.all(from, limit) as unknown as SizeRow[];
  }

  /**
   * Kafka's log start offset: where retention has deleted the log up to. Records removed above it — by
   * compaction or an aborted transaction — leave gaps, not a new start, so a Kafka fetch from a removed offset
   * there is answered from the next record instead of OFFSET_OUT_OF_RANGE. Known from the first removal or use in
   * this process (before it, the first stored offset).
   */
  logStart(): number {
    this.#start ??= this.earliest();
    return this.#start;
  }

  /** Deletes every record below `offset`. */
  deleteBelow(offset: number): void {
    this.#start = Math.max(this.logStart(), offset);
    this.#tail.dropBelow(offset);
    this.#statement('deleteBelow', () => `DELETE FROM ${this.#table} WHERE off < ?`).run(offset);
  }

  /** The newest record of each key with offset in `[from, to)`. */
  newestPerKey(from: number, to: number): KeyRow[] {
    const statement = this.#statement(
      'newestPerKey',
      // SQLite returns the bare column `v IS NULL` from the row holding max(off).
      () => `SELECT k, max(off), v IS NULL FROM ${this.#table} WHERE off >= ? AND off < ? GROUP BY k`,
      true,
    );
    return statement.all(from, to) as unknown as KeyRow[];
  }

  /** Deletes the records of `key` older than `offset`; returns the size of each record deleted. */
  deleteOlderVersions(key: Uint8Array, offset: number): [size: number][] {
    this.logStart();
    this.#tail.clear();
    const statement = this.#statement(
      'deleteOlder',
      () => `DELETE FROM ${this.#table} WHERE k = ? AND off < ? RETURNING ${RECORD_SIZE_SQL}`,
      true,
    );
    return statement.all(key, offset) as unknown as [number][];
  }

  /** Deletes the record at `offset` if it is (still) a tombstone; returns its size, or null if there was none. */
  deleteTombstone(offset: number): number | null {
    this.logStart();
    this.#tail.clear();
    const statement = this.#statement(
      'deleteTombstone',
      () => `DELETE FROM ${this.#table} WHERE off = ? AND v IS NULL RETURNING ${RECORD_SIZE_SQL}`,
      true,
    );
    const rows = statement.all(offset) as unknown as [number][];
    return rows.length === 0 ? null : rows[0][0];
  }

  /** Offset of the last record with offset in `[from, to)`, scanning at most `limit` records. */
  lastOffsetIn(from: number, limit: number): number | null {
    const statement = this.#statement(
      'lastIn',
      () => `SELECT max(off) FROM (SELECT off FROM ${this.#table} WHERE off >= ? ORDER BY off LIMIT ?)`,
      true,
    );
    const row = statement.get(from, limit) as unknown as [number | null];
    return row[0];
  }
}
