import type { CommitChain, GroupConsumer, OutgoingRecord, Producer, RecordPosition } from '../broker/port.ts';
import type { Guarantee } from './options.ts';

/** Commits one batch's records and input positions, resolving with the records' positions. */
export type BatchCommitter = (records: OutgoingRecord[], positions: RecordPosition[], chain: CommitChain) => Promise<RecordPosition[]>;

/**
 * Commits a batch: `records` (changelog, emits, dead letters) and the input `positions`, resolving with the
 * records' positions.
 *
 * - `exactly-once`: one `commitTransaction` in the partition's `chain` — all visible with the offsets, or nothing
 *   (then it rejects), and nothing after a failed call of the chain.
 * - `at-least-once`: `send`, then `commit`. A crash between them leaves the records written and the offsets not:
 *   the batch is processed again after a restart. Not chained: the caller waits for each before the next.
 */
export function batchCommitter(guarantee: Guarantee, consumer: GroupConsumer, producer: () => Producer): BatchCommitter {
  if (guarantee === 'exactly-once') return (records, positions, chain) => consumer.commitTransaction(records, positions, chain);
  return async (records, positions) => {
    const written = records.length > 0 ? await producer().send(records) : [];
    await consumer.commit(positions);
    return written;
  };
}
