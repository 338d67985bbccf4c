/**
 * TxnOffsetCommit of a transaction's input positions: every position in one request (the library's
 * `Transaction.addOffset` sends one request per offset), with the member's generation and member id (KIP-447), so
 * a member that lost its partitions in a rebalance cannot commit them.
 */
import { type Connection, type Consumer, txnOffsetCommitV3 } from '@platformatic/kafka';
import type { RecordPosition } from '../port.ts';
import type { ProducerIdentity } from './record-batches.ts';
import { whileBusy } from './transaction-errors.ts';
import { txnOffsetCommitV5 } from './transaction-v2.ts';

/** The transaction the offsets join. */
export interface OffsetsTransaction {
  transactionalId: string;
  identity: ProducerIdentity;
  /** Kafka's transaction protocol: on 1 the offsets partition was added (AddOffsetsToTxn), on 2 v5 adds it. */
  protocol: 1 | 2;
}

/** Commits `positions` in the open `transaction`, asking again while the coordinator is busy. */
export async function commitTransactionOffsets(
  coordinator: Connection,
  transaction: OffsetsTransaction,
  member: Consumer,
  positions: readonly RecordPosition[],
): Promise<void> {
  const topics = new Map<string, { name: string; partitions: txnOffsetCommitV3.TxnOffsetCommitRequestPartition[] }>();
  for (const { topic, partition, offset } of positions) {
    const entry = topics.get(topic) ?? { name: topic, partitions: [] };
    entry.partitions.push({ partitionIndex: partition, committedOffset: BigInt(offset), committedLeaderEpoch: -1 });
    topics.set(topic, entry);
  }
  const request = [...topics.values()];
  const { transactionalId, identity } = transaction;
  const api = transaction.protocol === 2 ? txnOffsetCommitV5 : txnOffsetCommitV3.api;
  await whileBusy(() =>
    api.async(
      coordinator,
      transactionalId,
      member.groupId,
      identity.producerId,
      identity.producerEpoch,
      member.generationId,
      member.memberId ?? '',
      null,
      request,
    ),
  );
}
