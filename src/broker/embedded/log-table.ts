import type { RecordRow } from './records.ts';

/** `[offset, timestamp, size]` of a stored record, for retention. */
export type SizeRow = [offset: number, timestamp: number, size: number];

/**
 * How one partition's records are kept in SQLite: a table per log, behind this contract. A normal topic's log
 * stores record batches ({@link BatchTable}); a compacted topic's stores one row per record with an index by key
 * ({@link RowTable}), which compaction deletes through. Every method runs synchronously, inside the caller's
 * transaction where it writes.
 */
export interface LogTable {
  /** Stores `rows[start, end)` (ascending, contiguous offsets) as one unit; `size` is their `recordSize` sum. */
  insert(rows: readonly RecordRow[], start: number, end: number, size: number): void;
  /** Up to `limit` stored records with offset >= `from`, in offset order. */
  read(from: number, limit: number): RecordRow[];
  /** Deletes the records with offset in `[first, last]`; returns the bytes they held. */
  deleteRange(first: number, last: number): number;
  /** The first stored offset >= `from`, or undefined. */
  firstFrom(from: number): number | undefined;
  /** `[offset, timestamp]` of the first record at or after `from` stamped at or after `timestamp`, or undefined. */
  firstAtOrAfter(from: number, timestamp: number): [offset: number, timestamp: number] | undefined;
  /** `[offset, timestamp]` of the record at or after `from` with the largest timestamp (first of equals). */
  newestTimestamp(from: number): [offset: number, timestamp: number] | undefined;
  /** `[offset, timestamp, size]` of up to `limit` records from `from` on, in offset order. */
  sizes(from: number, limit: number): SizeRow[];
  /** Deletes what is stored wholly below `offset` (a batch reaching `offset` stays, its older records unread). */
  deleteBelow(offset: number): void;
}
