import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { RECORD_SIZE_SQL, type RecordRow } from './records.ts';
import { TailCache } from './tail-cache.ts';

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
 * One partition: its table, its in-memory end (`next`, `bytes`) and lazily prepared statements. `next` and
 * `bytes` are only changed inside a transaction that also writes them to the `logs` table.
 */
export class PartitionLog {
  readonly id: number;
  readonly topic: TopicState;
  readonly partition: number;
  /** The offset the next appended record gets. */
  next: number;
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

  constructor(db: DatabaseSync, id: number, topic: TopicState, partition: number, next: number, bytes: number) {
    this.#db = db;
    this.id = id;
    this.topic = topic;
    this.partition = partition;
    this.next = next;
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

  /** Up to `limit` records with offset >= `from`, in offset order: from memory at the end of the log. */
  read(from: number, limit: number): RecordRow[] {
    const cached = this.#tail.read(from, limit);
    if (cached !== undefined) return cached;
    const statement = this.#statement(
      'read',
      () => `SELECT off, ts, k, v, h FROM ${this.#table} WHERE off >= ? ORDER BY off LIMIT ?`,
      true,
    );
    return statement.all(from, limit) as unknown as RecordRow[];
  }

  /** The first stored offset, or `next` when the partition holds nothing. */
  earliest(): number {
    const statement = this.#statement('earliest', () => `SELECT off FROM ${this.#table} ORDER BY off LIMIT 1`, true);
    const row = statement.get() as unknown as [number] | undefined;
    return row === undefined ? this.next : row[0];
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

  /** Deletes every record below `offset`. */
  deleteBelow(offset: number): void {
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
