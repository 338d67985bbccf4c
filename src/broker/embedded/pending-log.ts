/**
 * The records of one write bound for one partition log, gathered into runs before the write's transaction stores
 * each run as one batch (see `Writer`).
 */
import type { Headers, RecordPosition } from '../port.ts';
import { BULK_MIN_BYTES, type BulkStore } from './bulk-store.ts';
import { encodeBatch } from './kafka-protocol/records/encode-batch.ts';
import type { PlainRecords } from './kafka-protocol/records/plain.ts';
import type { PartitionLog } from './partition-log.ts';
import type { RecordRow } from './records.ts';

/** A validated record bound for one partition log. */
export interface AppendRecord {
  log: PartitionLog;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Headers | null;
  /** `recordSize` of the record. */
  size: number;
}

/** A Kafka producer's batch of plain records, stored as it came: see `Writer.appendPlain`. */
export interface PlainAppend {
  log: PartitionLog;
  records: PlainRecords;
  batch: Buffer;
}

/**
 * A run stored as a producer sent it: its batch, for a plain append its offsets and largest timestamp, and whether
 * its bytes go to the bulk files (see {@link keptInBulk}).
 */
interface EncodedRun {
  batch: Buffer;
  span: [first: number, last: number, maxTimestamp: number] | undefined;
  bulk: boolean;
  /** Where its bytes were written in the bulk files, once they were. */
  pointer?: Buffer;
}

/**
 * Whether a batch of `bytes` for `log` is kept in the bulk files (see `BulkStore`): a large one, on a normal topic,
 * outside a transaction (whose abort would delete it from inside a write).
 */
export function keptInBulk(log: PartitionLog, bytes: number, transactional: boolean): boolean {
  return bytes >= BULK_MIN_BYTES && !transactional && !log.topic.compacted;
}

/**
 * Records of one turn's requests bound for one log, as runs each stored as one unit (a batch): records of plain
 * requests share runs, bounded by {@link RUN_RECORDS} and {@link RUN_BYTES}; each request of a Kafka transaction
 * gets runs of its own, so that aborting it deletes whole batches.
 */
export interface PendingLog {
  next: number;
  bytes: number;
  rows: RecordRow[];
  /** Index in `rows` where each run starts. */
  runStarts: number[];
  /** `recordSize` sum of each run. */
  runSizes: number[];
  /** A run's batch as it is to be stored, by run index, when it came encoded (a Kafka producer's batch). */
  encoded: Map<number, EncodedRun> | undefined;
  /** Whether the last run takes no more records (it belongs to a transaction's request). */
  sealed: boolean;
  /** Indexes of the runs of a transaction's requests (never kept in the bulk files, see {@link keptInBulk}). */
  transactional: Set<number> | undefined;
  /** The batches stored, for the tail cache once committed. */
  batches: Buffer[];
}

/**
 * Bounds of a stored batch. Larger batches mean fewer rows to write and read, but a read from the middle of one
 * decodes the records before it: 2,048 records or 1 MiB (a Kafka consumer's default fetch per partition).
 */
const RUN_RECORDS = 2_048;
const RUN_BYTES = 1 << 20;

export function newPending(log: PartitionLog): PendingLog {
  return { next: log.end, bytes: log.bytes, rows: [], runStarts: [], runSizes: [], encoded: undefined, sealed: false, transactional: undefined, batches: [] };
}

/**
 * Adds `record` (at `offset`) to `p`'s runs. `startsOwn`: it starts a run (the first record of a transaction's
 * request, or of an encoded batch); `whole`: its run is not cut at the bounds (an encoded batch is stored whole).
 */
export function addToRun(p: PendingLog, offset: number, record: AppendRecord, startsOwn: boolean, whole: boolean): void {
  const runs = p.runStarts.length;
  const last = runs - 1;
  const full = !whole && (p.rows.length - p.runStarts[last] >= RUN_RECORDS || p.runSizes[last] >= RUN_BYTES);
  if (startsOwn || (p.sealed && !whole) || runs === 0 || full) {
    p.runStarts.push(p.rows.length);
    p.runSizes.push(record.size);
    p.sealed = false;
  } else {
    p.runSizes[last] += record.size;
  }
  p.rows.push([offset, record.timestamp, record.key, record.value, record.headers]);
}

/**
 * Adds a plain append to `p` as a run of its own (with no rows: its batch is stored as it came); with `run` (its
 * request belongs to a transaction), notes its offsets there. Returns where it lands.
 */
export function appendPlainRun(p: PendingLog, plain: PlainAppend, run: Map<PartitionLog, [number, number]> | undefined): RecordPosition {
  const { log, records, batch } = plain;
  const first = p.next;
  const last = first + records.count - 1;
  p.next += records.count;
  p.bytes += records.size;
  p.runStarts.push(p.rows.length);
  p.runSizes.push(records.size);
  p.sealed = true;
  const bulk = keptInBulk(log, batch.length, run !== undefined);
  (p.encoded ??= new Map()).set(p.runStarts.length - 1, { batch, span: [first, last, records.maxTimestamp], bulk });
  run?.set(log, [first, last]);
  return { topic: log.topic.name, partition: log.partition, offset: first };
}

/**
 * Encodes now, to keep them in the bulk files, `p`'s runs of records given one by one that {@link keptInBulk} would
 * keep there (batch ingest's runs of hundreds of records a partition): their bytes are then written once, instead
 * of as SQLite pages twice (the write-ahead log and its checkpoint).
 */
export function encodeLargeRuns(log: PartitionLog, p: PendingLog): void {
  for (let r = 0; r < p.runStarts.length; r++) {
    if (p.encoded?.has(r) === true || !keptInBulk(log, p.runSizes[r], p.transactional?.has(r) === true)) continue;
    const batch = encodeBatch(p.rows, 0, undefined, p.runStarts[r], runEnd(p, r), false);
    (p.encoded ??= new Map()).set(r, { batch, span: undefined, bulk: true });
  }
}

/** Whether some of `p`'s runs go to the bulk files. */
export function hasBulkRuns(p: PendingLog): boolean {
  if (p.encoded === undefined) return false;
  for (const run of p.encoded.values()) if (run.bulk) return true;
  return false;
}

/**
 * Before the write's transaction (see `BulkStore`): appends the bytes of `p`'s runs kept in the bulk files. The log
 * has its bulk directory.
 */
export function insertBulkRuns(log: PartitionLog, p: PendingLog, bulk: BulkStore): void {
  for (const [r, run] of p.encoded ?? []) {
    if (!run.bulk) continue;
    const first = run.span?.[0] ?? p.rows[p.runStarts[r]][0];
    run.pointer = log.insertBulk(bulk, first, run.batch);
  }
}

/** Where run `r` of `p` ends in `p.rows`. */
function runEnd(p: PendingLog, r: number): number {
  return r + 1 < p.runStarts.length ? p.runStarts[r + 1] : p.rows.length;
}

/** Inside the write's transaction: stores `p`'s runs in `log`, one batch each, and keeps them in `p.batches`. */
export function insertRuns(log: PartitionLog, p: PendingLog): void {
  for (let r = 0; r < p.runStarts.length; r++) {
    const end = runEnd(p, r);
    const encoded = p.encoded?.get(r);
    p.batches.push(
      encoded === undefined
        ? log.insert(p.rows, p.runStarts[r], end, p.runSizes[r])
        : encoded.span === undefined
          ? log.insertEncoded(p.rows, p.runStarts[r], end, p.runSizes[r], encoded.batch, encoded.pointer)
          : log.insertEncodedSpan(...encoded.span, p.runSizes[r], encoded.batch, encoded.pointer),
    );
  }
}
