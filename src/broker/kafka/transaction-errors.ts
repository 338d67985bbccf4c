/**
 * How the Kafka transactional committer (`transactions.ts`) reads Kafka's answers: which errors end a producer's
 * epoch or a member's generation, and how long the library waits before asking again.
 */
import { findErrorBy } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeraldError } from '../../errors.ts';
import type { TopicPartition } from '../port.ts';

/**
 * Kafka errors meaning this producer's epoch is over: a newer instance took over — or the coordinator aborted a
 * transaction that outlived its timeout and bumped the epoch (the same answer). The committer tells them apart.
 */
const FENCED = ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'];
/** Kafka errors of TxnOffsetCommit meaning this member's generation is over: its partitions may have moved. */
const STALE_MEMBER = ['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID', 'REBALANCE_IN_PROGRESS'];

/** Attempts the library makes of each request of a transaction. */
export const TRANSACTION_RETRIES = 20;
const RETRY_DELAY_MS = 300;
/**
 * A transaction begun right after the previous one committed is usually refused once with CONCURRENT_TRANSACTIONS
 * while the coordinator writes the previous markers: ask again almost at once (Java's client waits 20 ms; 1 ms
 * doubling measured 2x the throughput of 5 ms here).
 */
const CONCURRENT_RETRY_DELAY_MS = 1;

/**
 * Milliseconds before asking a busy Kafka again after its `attempt`th refusal (1 = the first): 1 ms, doubling, at
 * most `maxMs`.
 */
export function busyRetryDelay(attempt: number, maxMs: number): number {
  return Math.min(CONCURRENT_RETRY_DELAY_MS * 2 ** (attempt - 1), maxMs);
}

/** The library's `retryDelay` for the transactional producer. */
export function transactionRetryDelay(
  _client: unknown,
  _operation: string,
  attempt: number,
  _retries: number,
  error: Error,
): number {
  if (findErrorBy(error, 'apiId', 'CONCURRENT_TRANSACTIONS') === null) return RETRY_DELAY_MS;
  return busyRetryDelay(attempt, RETRY_DELAY_MS);
}

/**
 * A busy coordinator's answers to TxnOffsetCommit: the group coordinator verifies the transaction with the
 * transaction coordinator, and a verification that meets the coordinator in the middle of a write is refused as
 * CONCURRENT_TRANSACTIONS — reported as COORDINATOR_LOAD_IN_PROGRESS to clients of TxnOffsetCommit before version 5.
 * With the offsets committed beside the transaction's records (the wallet on the local Kafka node), about one
 * transaction in twenty-five met it.
 */
const BUSY = ['COORDINATOR_LOAD_IN_PROGRESS', 'CONCURRENT_TRANSACTIONS'];
const BUSY_MAX_DELAY_MS = 100;
/** Attempts while the coordinator is busy: 1 + 2 + … + 64 + 100 × 4 ms apart, about 0.5 s in all. */
const BUSY_ATTEMPTS = 12;

/** Runs `request`, again while its answer says the coordinator is busy (at most {@link BUSY_ATTEMPTS} times). */
export async function whileBusy<T>(request: () => Promise<T>, wait: (ms: number) => Promise<unknown> = sleep): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (!matches(err, BUSY) || attempt >= BUSY_ATTEMPTS) throw err;
      await wait(busyRetryDelay(attempt, BUSY_MAX_DELAY_MS));
    }
  }
}

function matches(err: unknown, names: readonly string[]): boolean {
  return err instanceof Error && names.some((name) => findErrorBy(err, 'apiId', name) !== null);
}

/** Whether `err` says this producer's epoch is over (fenced, or its transaction timed out on the broker). */
export function isEpochOver(err: unknown): boolean {
  return matches(err, FENCED) || (err instanceof Error && findErrorBy(err, 'producerFenced', true) !== null);
}

/** Whether `err` says the member's generation is over: the group moved on and its offsets are refused. */
export function isStaleMember(err: unknown): boolean {
  return matches(err, STALE_MEMBER);
}

export function notAssigned(tp: TopicPartition, why: string): HeraldError {
  return new HeraldError('HERALD_NOT_ASSIGNED', `${tp.topic}/${tp.partition} is not assigned here (${why})`, {
    details: { topic: tp.topic, partition: tp.partition },
  });
}
