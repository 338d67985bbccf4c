import type { PartitionLog } from './partition-log.ts';
import type { Store } from './store.ts';

/** What a cleaning step needs: the store, a chunk size, and a way to yield and to notice the broker stopping. */
export interface CleaningContext {
  store: Store;
  chunkSize: number;
  /** Yields to the event loop between chunks; rejects or resolves false once cleaning must stop. */
  pause(): Promise<boolean>;
}

/**
 * Deletes the oldest records of a normal topic's partition while they are older than `retentionMs` or the
 * partition holds more than `retentionBytes`. Only a prefix is ever deleted (as Kafka drops whole old segments),
 * so `earliest` moves forward and offsets stay contiguous above it. Returns how many records were deleted.
 */
export async function enforceRetention(log: PartitionLog, context: CleaningContext): Promise<number> {
  const { retentionMs, retentionBytes } = log.topic;
  if (log.topic.compacted || (retentionMs === null && retentionBytes === null)) return 0;
  let removed = 0;
  for (;;) {
    if (log.topic.deleted) return removed;
    const cutoff = retentionMs === null ? Number.NEGATIVE_INFINITY : Date.now() - retentionMs;
    let excess = retentionBytes === null ? 0 : log.bytes - retentionBytes;
    const rows = log.sizes(log.earliest(), context.chunkSize);
    let count = 0;
    let freed = 0;
    for (const [, timestamp, size] of rows) {
      if (timestamp >= cutoff && excess <= 0) break;
      count++;
      freed += size;
      excess -= size;
    }
    if (count === 0) return removed;
    const upTo = rows[count - 1][0] + 1;
    context.store.transaction(() => {
      log.deleteBelow(upTo);
      context.store.updateLog(log.id, log.end, log.bytes - freed, log.logStart());
    });
    log.bytes -= freed;
    if (log.bulk) {
      // The rows' deletion is durable before their bytes go, so that no OS crash leaves a row without its bytes.
      if (!context.store.syncs) context.store.syncNow();
      log.deleteBulkBelow(context.store.bulk, upTo);
    }
    removed += count;
    if (count < rows.length || !(await context.pause())) return removed;
  }
}
