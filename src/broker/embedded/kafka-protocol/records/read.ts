import type { PartitionLog } from '../../partition-log.ts';
import type { RecordRow } from '../../records.ts';
import { encodeBatch, encodeEmptyBatch, ensureCrc } from './encode-batch.ts';

/**
 * Record batches for one partition of a fetch answer, whole and in offset order, as parts that are written one
 * after another rather than joined: joining a megabyte of stored batches cost ~0.2 ms of CPU a fetch (a copy and
 * the page faults of a fresh buffer), of the 3–4.5 ms the broker spent on each of ConsumerPerformance's fetches.
 */
export interface RecordBatches {
  readonly parts: readonly Buffer[];
  readonly byteLength: number;
}

/** Nothing to send (clients such as librdkafka expect empty records, not null). */
export const NO_BATCHES: RecordBatches = Object.freeze({ parts: Object.freeze([]), byteLength: 0 });

function batchesOf(buffer: Buffer | null): RecordBatches | null {
  return buffer === null ? null : { parts: [buffer], byteLength: buffer.length };
}

/** Rows read from SQLite per step while filling a byte budget. */
const PAGE = 500;
/** Bytes a record adds to its key, value and headers in a batch, roughly (length, attributes, deltas). */
const RECORD_OVERHEAD = 12;

function estimate(row: RecordRow): number {
  let size = (row[2]?.byteLength ?? 0) + (row[3]?.byteLength ?? 0) + RECORD_OVERHEAD;
  const headers = row[4];
  if (headers !== null) for (const name in headers) size += name.length + headers[name].length + 2;
  return size;
}

/**
 * Records of `log` from offset `from` up to `upTo` (default: its last stable offset; a read_uncommitted fetch passes
 * the log's end), as record batches of at most about `budget` bytes in all — or, with `atLeastOne`, of one batch
 * even if that alone is larger (Kafka's KIP-74: a consumer must always make progress). Returns `null` when nothing
 * fits or nothing is there.
 *
 * The stored batches are sent as they are, whole, as Kafka does: the first may start before `from` (clients skip
 * the records below their fetch offset) and may alone exceed the budget.
 *
 * A read that reaches the end covers the offsets removed after its last record too (compaction and aborted
 * transactions leave gaps; Kafka's cleaner keeps such offsets covered), and when every record from `from` to the
 * end was removed the answer is an empty batch over those offsets — either way the consumer's position moves to
 * the end instead of waiting at a removed offset.
 */
export function readBatch(log: PartitionLog, from: number, budget: number, atLeastOne: boolean, upTo = log.next): RecordBatches | null {
  const parts: Buffer[] = [];
  /** Batches in the bulk files, read together when a batch that is not ends their run (or the read ends). */
  let inBulk: Uint8Array[] = [];
  const readBulk = () => {
    if (inBulk.length === 0) return;
    for (const run of log.batches.bulkBytes(inBulk)) parts.push(run);
    inBulk = [];
  };
  let used = 0;
  let next = from;
  let toEnd = true;
  for (const [last, first, length, pointer] of log.batches.entries(from)) {
    if (last >= upTo) {
      // Batches end where a transaction's records begin, so this one is wholly past the end readers may see,
      // unless written otherwise: then its visible records are sent encoded afresh.
      if (first < upTo && used === 0) return batchesOf(readRows(log, from, budget, atLeastOne, upTo));
      break;
    }
    if (used + length > budget && !(atLeastOne && used === 0)) {
      toEnd = false;
      break;
    }
    used += length;
    next = last + 1;
    if (pointer !== undefined) {
      inBulk.push(pointer);
      continue;
    }
    readBulk();
    const bytes = log.batches.bytes(last);
    // A stored batch's CRC is filled in where it is 0 (see `ensureCrc`): in a cached one too, once.
    parts.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  readBulk();
  if (toEnd && next < upTo) parts.push(encodeEmptyBatch(next, upTo - 1));
  if (parts.length === 0) return null;
  let byteLength = 0;
  for (const part of parts) {
    ensureCrc(part);
    byteLength += part.length;
  }
  return { parts, byteLength };
}

function readRows(log: PartitionLog, from: number, budget: number, atLeastOne: boolean, upTo: number): Buffer | null {
  const end = upTo;
  const picked: RecordRow[] = [];
  let used = 0;
  let offset = from;
  let toEnd = false;
  for (;;) {
    const rows = log.read(offset, PAGE, end);
    let i = 0;
    for (; i < rows.length; i++) {
      const row = rows[i];
      const size = estimate(row);
      if (used + size > budget && !(atLeastOne && picked.length === 0)) break;
      used += size;
      picked.push(row);
    }
    if (i < rows.length) break;
    if (rows.length < PAGE) {
      toEnd = true;
      break;
    }
    offset = rows[rows.length - 1][0] + 1;
  }
  if (!toEnd) return picked.length === 0 ? null : encodeBatch(picked);
  if (picked.length === 0) return from < end ? encodeEmptyBatch(from, end - 1) : null;
  return encodeBatch(picked, 0, Math.max(end - 1, picked[picked.length - 1][0]));
}
