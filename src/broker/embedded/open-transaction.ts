import type { PartitionLog } from './partition-log.ts';

/**
 * A transaction held open across writes — a Kafka transactional producer's, through the Kafka listener. Its records
 * go into the logs when produced, with their real offsets, and each partition it wrote to keeps its last stable
 * offset ({@link PartitionLog.next}) at the transaction's first record there until the transaction ends: committed,
 * the records become visible; aborted, they are removed from the log (leaving an offset gap, as compaction does).
 *
 * The writer keeps `ranges` (in memory) and the durable copy (the store's `open_transaction_ranges`) in step: a
 * broker that restarts finds the ranges of transactions that were open and aborts them before anyone reads
 * (`abortOpenTransactions`).
 */
export class OpenTransaction {
  /** Unique among the transactions of a data directory over time (the Kafka producer id); keys the durable ranges. */
  readonly id: number;
  /** Offsets this transaction wrote, per partition: `[first, last]` runs in offset order. Kept by the writer. */
  readonly ranges = new Map<PartitionLog, [first: number, last: number][]>();

  constructor(id: number) {
    this.id = id;
  }
}
