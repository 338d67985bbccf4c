import type { PartitionLog } from '../../partition-log.ts';
import type { RecordRow } from '../../records.ts';
import { encodeBatch, encodeEmptyBatch, type OutgoingRecord } from './batch.ts';
import { toKafkaHeaders } from './headers.ts';

/** Rows read from SQLite per step while filling a byte budget. */
const PAGE = 500;
/** Bytes a record adds to its key, value and headers in a batch, roughly (length, attributes, deltas). */
const RECORD_OVERHEAD = 12;

function estimate(row: RecordRow): number {
  return (row[2]?.byteLength ?? 0) + (row[3]?.byteLength ?? 0) + (row[4]?.length ?? 0) + RECORD_OVERHEAD;
}

/**
 * Records of `log` from offset `from` up to `upTo` (default: its last stable offset; a read_uncommitted fetch passes
 * the log's end), as one record batch of at most about `budget` bytes — or, with
 * `atLeastOne`, of one record even if that alone is larger (Kafka's KIP-74: a consumer must always make
 * progress). Returns `null` when nothing fits or nothing is there.
 *
 * A batch that reads to the end of the log covers the offsets compaction removed after its last record too (its
 * last offset delta reaches the end, as Kafka's cleaner keeps it), and when compaction removed every record from
 * `from` to the end the answer is an empty batch over those offsets — either way the consumer's position moves to
 * the end instead of waiting at a removed offset. The same holds for the offsets of an aborted transaction, which
 * are removed from the log.
 */
export function readBatch(log: PartitionLog, from: number, budget: number, atLeastOne: boolean, upTo = log.next): Buffer | null {
  const end = upTo;
  const picked: OutgoingRecord[] = [];
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
      picked.push({ offset: row[0], timestamp: row[1], key: row[2], value: row[3], headers: toKafkaHeaders(row[4]) });
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
  return encodeBatch(picked, 0, Math.max(end - 1, picked[picked.length - 1].offset));
}
