import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { Headers } from '../port.ts';
import type { LogTable, SizeRow } from './log-table.ts';
import { TableStatements } from './table-statements.ts';
import type { RecordRow } from './records.ts';

/** Rows per multi-row INSERT: fewer statement executions per batch, bounded SQL size. */
const CHUNKS = [64, 8, 1] as const;
/** Values bound per stored record, in column order: offset, timestamp, key, value, headers. */
const COLUMNS = 5;

/**
 * The SQL expression computing `recordSize` of a stored row: key, value, and the UTF-8 bytes of header names and
 * values (kept as JSON text).
 */
export const ROW_SIZE_SQL =
  'ifnull(length(k),0)+ifnull(length(v),0)+' +
  'ifnull((SELECT sum(length(CAST(key AS BLOB))+length(CAST(value AS BLOB))) FROM json_each(h)),0)';

/** `[key, newest offset of the key in the range, whether that newest record is a tombstone]`, for compaction. */
export type KeyRow = [key: Uint8Array, offset: number, tombstone: number];

type StoredRow = [offset: number, timestamp: number, key: Uint8Array | null, value: Uint8Array | null, headers: string | null];

/**
 * A compacted topic's log: one row per record (rowid = offset) with an index by key, so that compaction can
 * delete a key's older versions where they are. Headers are kept as JSON text.
 */
export class RowTable implements LogTable {
  readonly #table: string;
  readonly #statements: TableStatements;

  constructor(db: DatabaseSync, table: string) {
    this.#statements = new TableStatements(db);
    this.#table = table;
  }

  static create(db: DatabaseSync, table: string): void {
    db.exec(`CREATE TABLE ${table} (off INTEGER PRIMARY KEY, ts INTEGER NOT NULL, k BLOB, v BLOB, h TEXT)`);
    db.exec(`CREATE INDEX ${table}_by_key ON ${table} (k, off)`);
  }

  insert(rows: readonly RecordRow[], start: number, end: number): void {
    let left = end - start;
    let at = start;
    for (const chunk of CHUNKS) {
      if (left < chunk) continue;
      const statement = this.#statements.get(`insert${chunk}`, () => {
        const row = '(?, ?, ?, ?, ?)';
        return `INSERT INTO ${this.#table} (off, ts, k, v, h) VALUES ${new Array(chunk).fill(row).join(', ')}`;
      });
      const params: SQLInputValue[] = new Array(chunk * COLUMNS);
      while (left >= chunk) {
        for (let i = 0; i < chunk; i++) {
          const [offset, timestamp, key, value, headers] = rows[at + i];
          const p = i * COLUMNS;
          params[p] = offset;
          params[p + 1] = timestamp;
          params[p + 2] = key;
          params[p + 3] = value;
          params[p + 4] = headers === null ? null : JSON.stringify(headers);
        }
        statement.run(...params);
        at += chunk;
        left -= chunk;
      }
    }
  }

  read(from: number, limit: number): RecordRow[] {
    const statement = this.#statements.get('read', () => `SELECT off, ts, k, v, h FROM ${this.#table} WHERE off >= ? ORDER BY off LIMIT ?`);
    const rows = statement.all(from, limit) as unknown as StoredRow[];
    for (const row of rows) if (row[4] !== null) (row as unknown as RecordRow)[4] = JSON.parse(row[4]) as Headers;
    return rows as unknown as RecordRow[];
  }

  deleteRange(first: number, last: number): number {
    const statement = this.#statements.get(
      'deleteRange',
      () => `DELETE FROM ${this.#table} WHERE off >= ? AND off <= ? RETURNING ${ROW_SIZE_SQL}`,
    );
    let freed = 0;
    for (const [size] of statement.all(first, last) as unknown as [number][]) freed += size;
    return freed;
  }

  firstFrom(from: number): number | undefined {
    const statement = this.#statements.get('firstFrom', () => `SELECT off FROM ${this.#table} WHERE off >= ? ORDER BY off LIMIT 1`);
    return (statement.get(from) as unknown as [number] | undefined)?.[0];
  }

  firstAtOrAfter(from: number, timestamp: number): [offset: number, timestamp: number] | undefined {
    const statement = this.#statements.get(
      'firstAtOrAfter',
      () => `SELECT off, ts FROM ${this.#table} WHERE off >= ? AND ts >= ? ORDER BY off LIMIT 1`,
    );
    return statement.get(from, timestamp) as unknown as [number, number] | undefined;
  }

  newestTimestamp(from: number): [offset: number, timestamp: number] | undefined {
    const statement = this.#statements.get(
      'newestTimestamp',
      () => `SELECT off, ts FROM ${this.#table} WHERE off >= ? ORDER BY ts DESC, off LIMIT 1`,
    );
    return statement.get(from) as unknown as [number, number] | undefined;
  }

  sizes(from: number, limit: number): SizeRow[] {
    const statement = this.#statements.get(
      'sizes',
      () => `SELECT off, ts, ${ROW_SIZE_SQL} FROM ${this.#table} WHERE off >= ? ORDER BY off LIMIT ?`,
    );
    return statement.all(from, limit) as unknown as SizeRow[];
  }

  deleteBelow(offset: number): void {
    this.#statements.get('deleteBelow', () => `DELETE FROM ${this.#table} WHERE off < ?`).run(offset);
  }

  /** The newest record of each key with offset in `[from, to)`. */
  newestPerKey(from: number, to: number): KeyRow[] {
    const statement = this.#statements.get(
      'newestPerKey',
      // SQLite returns the bare column `v IS NULL` from the row holding max(off).
      () => `SELECT k, max(off), v IS NULL FROM ${this.#table} WHERE off >= ? AND off < ? GROUP BY k`,
    );
    return statement.all(from, to) as unknown as KeyRow[];
  }

  /** Deletes the records of `key` older than `offset`; returns the size of each record deleted. */
  deleteOlderVersions(key: Uint8Array, offset: number): [size: number][] {
    const statement = this.#statements.get(
      'deleteOlder',
      () => `DELETE FROM ${this.#table} WHERE k = ? AND off < ? RETURNING ${ROW_SIZE_SQL}`,
    );
    return statement.all(key, offset) as unknown as [number][];
  }

  /** Deletes the record at `offset` if it is (still) a tombstone; returns its size, or null if there was none. */
  deleteTombstone(offset: number): number | null {
    const statement = this.#statements.get(
      'deleteTombstone',
      () => `DELETE FROM ${this.#table} WHERE off = ? AND v IS NULL RETURNING ${ROW_SIZE_SQL}`,
    );
    const rows = statement.all(offset) as unknown as [number][];
    return rows.length === 0 ? null : rows[0][0];
  }

  /** Offset of the last record with offset in `[from, to)`, scanning at most `limit` records. */
  lastOffsetIn(from: number, limit: number): number | null {
    const statement = this.#statements.get(
      'lastIn',
      () => `SELECT max(off) FROM (SELECT off FROM ${this.#table} WHERE off >= ? ORDER BY off LIMIT ?)`,
    );
    const row = statement.get(from, limit) as unknown as [number | null];
    return row[0];
  }
}
