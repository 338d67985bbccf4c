import type { PartitionLog } from './partition-log.ts';
import type { RecordRow } from './records.ts';
import type { CleaningContext } from './retention.ts';

/**
 * The background cleaner compacts a partition once its records written since the last pass are at least this
 * share of all it holds — Kafka's `min.cleanable.dirty.ratio` default. A pass reads the whole partition (there is
 * no index by key), so compacting on every interval would cost a table's size each time for a few new records.
 */
const MIN_CLEANABLE_DIRTY_RATIO = 0.5;

/** Distinct keys one pass remembers (about 100 bytes each); a longer dirty section takes several passes. */
const KEYS_PER_PASS_PER_CHUNK = 40;

/** Whether the background cleaner should compact `log` now (see {@link MIN_CLEANABLE_DIRTY_RATIO}). */
function worthCompacting(log: PartitionLog): boolean {
  const dirty = log.next - log.cleanedUpTo;
  return dirty > 0 && dirty >= MIN_CLEANABLE_DIRTY_RATIO * (dirty + log.cleanRecords);
}

/**
 * Compacts a partition of a compacted topic: keeps only the newest record of each key, never renumbering offsets
 * (gaps appear, as in Kafka). As Kafka's log cleaner does, a pass first notes the newest offset of every key
 * written since the last pass (from `log.cleanedUpTo` to the end readers see), then reads the partition from its
 * start and stores again, without the older versions of those keys, each batch that holds one. Work is done in
 * chunks of about `context.chunkSize` records with a yield between them. A tombstone that is the newest record of
 * its key is deleted once it has been known for `deleteRetentionMs`, so lagging consumers still see the delete.
 * With `onlyIfDue` (the background cleaner) the passes are made only when {@link worthCompacting} says so.
 * Returns how many records were deleted.
 */
export async function compact(log: PartitionLog, context: CleaningContext, deleteRetentionMs: number, onlyIfDue = false): Promise<number> {
  if (!log.topic.compacted) return 0;
  const end = onlyIfDue && !worthCompacting(log) ? log.cleanedUpTo : log.next;
  let removed = 0;
  while (log.cleanedUpTo < end) {
    const dirty = await newestOffsets(log, context, end);
    if (dirty === null) return removed;
    const { newest, to } = dirty;
    if (to === log.cleanedUpTo) break;
    const done = await removeOlderVersions(log, context, newest, to);
    if (done === null) return removed;
    removed += done;
    const now = Date.now();
    for (const offset of newest.values()) if (offset < 0) log.pendingTombstones.push({ offset: -offset - 1, seenAt: now });
    log.cleanedUpTo = to;
  }
  return removed + removeExpiredTombstones(log, context, deleteRetentionMs);
}

/** `key` as a Map key: one character per byte. */
function keyOf(row: RecordRow): string {
  const key = row[2]!;
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/**
 * The newest offset of each key from `log.cleanedUpTo` on, up to `end` or to where the pass's key limit is
 * reached (`to`, a batch boundary): a tombstone's offset `o` is noted as `-o - 1`. Null when cleaning must stop.
 */
async function newestOffsets(log: PartitionLog, context: CleaningContext, end: number): Promise<{ newest: Map<string, number>; to: number } | null> {
  const newest = new Map<string, number>();
  const maxKeys = context.chunkSize * KEYS_PER_PASS_PER_CHUNK;
  let to = log.cleanedUpTo;
  for (;;) {
    if (log.topic.deleted) return null;
    let read = 0;
    let more = false;
    for (const [last] of log.batches.entries(to)) {
      // Batches end where an open transaction's records begin, so none straddles `end`.
      if (last >= end || newest.size >= maxKeys) break;
      if (read >= context.chunkSize) {
        more = true;
        break;
      }
      const rows: RecordRow[] = [];
      log.batches.decode(last, to, rows);
      for (const row of rows) newest.set(keyOf(row), row[3] === null ? -row[0] - 1 : row[0]);
      read += rows.length;
      to = last + 1;
    }
    if (!more) return { newest, to };
    if (!(await context.pause())) return null;
  }
}

/**
 * Stores again, without the records `newest` has a newer offset for, every batch of `log` below `to` that holds
 * one; counts the records kept below `to` in `log.cleanRecords`. Returns how many records were removed, or null
 * when cleaning must stop.
 */
async function removeOlderVersions(log: PartitionLog, context: CleaningContext, newest: Map<string, number>, to: number): Promise<number | null> {
  const older = (row: RecordRow) => {
    const offset = newest.get(keyOf(row));
    return offset !== undefined && (offset < 0 ? -offset - 1 : offset) > row[0];
  };
  let removed = 0;
  let kept = 0;
  let from = log.logStart();
  while (from < to) {
    if (log.topic.deleted) return null;
    const changed: number[] = [];
    let read = 0;
    let batches = 0;
    for (const [last] of log.batches.entries(from)) {
      if (last >= to || read >= context.chunkSize) break;
      const rows: RecordRow[] = [];
      log.batches.decode(last, from, rows);
      read += rows.length;
      batches++;
      if (rows.some(older)) changed.push(last);
      from = last + 1;
    }
    if (batches === 0) from = to;
    let count = 0;
    let freed = 0;
    context.store.transaction(() => {
      for (const last of changed) {
        const [n, bytes] = log.filterBatch(last, (row) => !older(row));
        count += n;
        freed += bytes;
      }
      if (count > 0) context.store.updateLog(log.id, log.end, log.bytes - freed, log.logStart());
    });
    log.bytes -= freed;
    removed += count;
    kept += read - count;
    if (from < to && !(await context.pause())) return null;
  }
  log.cleanRecords = kept;
  return removed;
}

function removeExpiredTombstones(log: PartitionLog, context: CleaningContext, deleteRetentionMs: number): number {
  const now = Date.now();
  const due = new Set<number>();
  for (const t of log.pendingTombstones) if (now - t.seenAt >= deleteRetentionMs) due.add(t.offset);
  if (due.size === 0) return 0;
  const batches = new Set<number>();
  for (const offset of due) {
    for (const [last] of log.batches.entries(offset)) {
      batches.add(last);
      break;
    }
  }
  let count = 0;
  let freed = 0;
  context.store.transaction(() => {
    for (const last of batches) {
      const [n, bytes] = log.filterBatch(last, (row) => !(row[3] === null && due.has(row[0])));
      count += n;
      freed += bytes;
    }
    if (count > 0) context.store.updateLog(log.id, log.end, log.bytes - freed, log.logStart());
  });
  log.bytes -= freed;
  log.cleanRecords = Math.max(0, log.cleanRecords - count);
  const remaining = log.pendingTombstones.filter((t) => !due.has(t.offset));
  log.pendingTombstones.length = 0;
  log.pendingTombstones.push(...remaining);
  return count;
}
