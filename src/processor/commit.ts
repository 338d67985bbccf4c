import type { GroupConsumer, OutgoingRecord, Producer, RecordPosition } from '../broker/port.ts';
import type { Guarantee } from './options.ts';

/**
 * Commits a batch: `records` (changelog, emits, dead letters) and the input `positions`, resolving with the
 * records' positions.
 *
 * - `exactly-once`: one `commitTransaction` — all visible with the offsets, or nothing (then it rejects).
 * - `at-least-once`: `send`, then `commit`. A crash between them leaves the records written and the offsets not:
 *   the batch is processed again after a restart.
 */
export function batchCommitter(
  guarantee: Guarantee,
  consumer: GroupConsumer,
  producer: () => Producer,
): (records: OutgoingRecord[], positions: RecordPosition[]) => Promise<RecordPosition[]> {
  if (guarantee === 'exactly-once') return (records, positions) => consumer.commitTransaction(records, positions);
  return async (records, positions) => {
    const written = records.length > 0 ? await producer().send(records) : [];
    await consumer.commit(positions);
    return written;
  };
}
