import type { Store } from './store.ts';
import type { TopicRegistry } from './topics.ts';

/**
 * At start-up, before anyone reads: aborts the transactions that were open when the broker last stopped or
 * crashed (a Kafka transactional producer's through the Kafka listener; the coordinator's state is in memory and
 * did not survive). Their records are removed from the logs — offsets stay gaps — and their ranges forgotten, in
 * one storage transaction. Returns how many transactions were aborted.
 */
export function abortOpenTransactions(store: Store, topics: TopicRegistry): number {
  const rows = store.loadOpenRanges();
  if (rows.length === 0) return 0;
  const freedByLog = new Map<number, number>();
  store.transaction(() => {
    for (const row of rows) {
      const log = topics.logById(row.log_id);
      if (log === undefined) continue; // its topic was deleted
      freedByLog.set(log.id, (freedByLog.get(log.id) ?? 0) + log.deleteRange(row.first, row.last));
    }
    for (const [id, freed] of freedByLog) {
      const log = topics.logById(id)!;
      store.updateLog(id, log.end, log.bytes - freed, log.logStart());
    }
    store.deleteAllOpenRanges();
  });
  for (const [id, freed] of freedByLog) topics.logById(id)!.bytes -= freed;
  return new Set(rows.map((row) => row.txn)).size;
}
