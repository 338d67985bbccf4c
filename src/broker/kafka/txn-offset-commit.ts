/**
 * TxnOffsetCommit of a transaction's input positions: every position in one request (the library's
 * `Transaction.addOffset` sends one request per offset), with the member's generation and member id (KIP-447), so
 * a member that lost its partitions in a rebalance cannot commit them.
 */
import { type Connection, type Consumer, findErrorBy, txnOffsetCommitV3 } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordPosition } from '../port.ts';
import type { ProducerIdentity } from './record-batches.ts';

/**
 * Answers of a busy coordinator, asked again after {@link BUSY_FIRST_DELAY_MS} doubling: the group coordinator
 * verifies the transaction with the transaction coordinator, and a verification that meets the coordinator in the
 * middle of a write is refused as CONCURRENT_TRANSACTIONS — reported as COORDINATOR_LOAD_IN_PROGRESS to clients of
 * TxnOffsetCommit before version 5. With the offsets committed beside the transaction's records (the wallet on the
 * local Kafka node), about one transaction in twenty-five met it.
 */
const BUSY = ['COORDINATOR_LOAD_IN_PROGRESS', 'CONCURRENT_TRANSACTIONS'];
const BUSY_FIRST_DELAY_MS = 1;
const BUSY_MAX_DELAY_MS = 100;
/** Attempts while the coordinator is busy: 1 + 2 + … + 64 + 100 × 4 ms, about 0.5 s in all. */
const BUSY_ATTEMPTS = 12;

/** Commits `positions` in the open transaction of `transactionalId` (its offsets partition already added). */
export async function commitTransactionOffsets(
  coordinator: Connection,
  transactionalId: string,
  identity: ProducerIdentity,
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
  await whileBusy(() =>
    txnOffsetCommitV3.api.async(
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

/** Runs `request`, again while its answer says the coordinator is busy (at most {@link BUSY_ATTEMPTS} times). */
export async function whileBusy<T>(request: () => Promise<T>, wait: (ms: number) => Promise<unknown> = sleep): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      const busy = BUSY.some((id) => findErrorBy(err as Error, 'apiId', id) !== null);
      if (!busy || attempt >= BUSY_ATTEMPTS) throw err;
      await wait(Math.min(BUSY_FIRST_DELAY_MS * 2 ** (attempt - 1), BUSY_MAX_DELAY_MS));
    }
  }
}
