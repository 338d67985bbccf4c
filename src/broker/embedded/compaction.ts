import type { PartitionLog } from './partition-log.ts';
import type { CleaningContext } from './retention.ts';

/**
 * Compacts a partition of a compacted topic: keeps only the newest record of each key, never renumbering offsets
 * (gaps appear, as in Kafka). Work is incremental — records from `log.cleanedUpTo` to the end as of the start are
 * scanned in chunks, and older versions of the keys found are deleted through the key index. A tombstone that is
 * the newest record of its key is deleted once it has been known for `deleteRetentionMs`, so lagging consumers
 * still see the delete. Returns how many records were deleted.
 */
export async function compact(log: PartitionLog, context: CleaningContext, deleteRetentionMs: number): Promise<number> {
  if (!log.topic.compacted) return 0;
  const end = log.next;
  let removed = 0;
  while (log.cleanedUpTo < end) {
    if (log.topic.deleted) return removed;
    const from = log.cleanedUpTo;
    const last = log.lastOffsetIn(from, context.chunkSize);
    const to = last === null || last >= end ? end : last + 1;
    const keys = log.newestPerKey(from, to);
    const now = Date.now();
    let count = 0;
    let freed = 0;
    context.store.transaction(() => {
      for (const [key, offset] of keys) {
        for (const [size] of log.deleteOlderVersions(key, offset)) {
          count++;
          freed += size;
        }
      }
      if (count > 0) context.store.updateLog(log.id, log.end, log.bytes - freed, log.logStart());
    });
    log.bytes -= freed;
    removed += count;
    for (const [, offset, tombstone] of keys) if (tombstone) log.pendingTombstones.push({ offset, seenAt: now });
    log.cleanedUpTo = to;
    if (to < end && !(await context.pause())) return removed;
  }
  return removed + removeExpiredTombstones(log, context, deleteRetentionMs);
}

function removeExpiredTombstones(log: PartitionLog, context: CleaningContext, deleteRetentionMs: number): number {
  const now = Date.now();
  const due = log.pendingTombstones.filter((t) => now - t.seenAt >= deleteRetentionMs);
  if (due.length === 0) return 0;
  let count = 0;
  let freed = 0;
  context.store.transaction(() => {
    for (const tombstone of due) {
      const size = log.deleteTombstone(tombstone.offset);
      if (size !== null) {
        count++;
        freed += size;
      }
    }
    if (count > 0) context.store.updateLog(log.id, log.end, log.bytes - freed, log.logStart());
  });
  log.bytes -= freed;
  const remaining = log.pendingTombstones.filter((t) => now - t.seenAt < deleteRetentionMs);
  log.pendingTombstones.length = 0;
  log.pendingTombstones.push(...remaining);
  return count;
}
