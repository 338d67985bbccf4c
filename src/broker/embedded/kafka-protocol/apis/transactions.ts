/**
 * The transaction coordinator's APIs: AddPartitionsToTxn (24), AddOffsetsToTxn (25) and EndTxn (26), answered by
 * `transactions/transaction-coordinator.ts`. TxnOffsetCommit, sent to the group coordinator, is in
 * `txn-offset-commit.ts`.
 *
 * Versions are the ones clients use without transaction version 2 (KIP-890 part 2), which this broker does not
 * advertise: AddPartitionsToTxn up to 3 (4+ is broker-to-broker), EndTxn up to 4.
 */
import type { PartitionLog } from '../../partition-log.ts';
import { KafkaError, type KafkaErrorCode } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';
import { missingTopicCode } from './topic-errors.ts';

/** PRODUCER_FENCED came with version 2 of these APIs; older clients get INVALID_PRODUCER_EPOCH for it. */
function fencedCode(version: number): KafkaErrorCode {
  return version >= 2 ? KafkaError.PRODUCER_FENCED : KafkaError.INVALID_PRODUCER_EPOCH;
}

interface AddPartitionsToTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  topics: { name: string; partitions: number[] }[];
}

interface AddPartitionsToTxnResponse {
  throttleTimeMs: number;
  resultsByTopic: { name: string; resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[] }[];
}

/**
 * AddPartitionsToTxn (24): adds partitions to the producer's transaction (opening it). All or nothing: when a
 * partition does not exist, it gets its error and the others OPERATION_NOT_ATTEMPTED, as Kafka answers.
 */
export const addPartitionsToTxnApi = defineApi<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  key: 24,
  name: 'AddPartitionsToTxn',
  min: 0,
  max: 3,
  request: message(
    '3+',
    field('transactionalId', 'string', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('topics', array([field('name', 'string', '0+'), field('partitions', array('int32'), '0+')]), '0+'),
  ),
  response: message(
    '3+',
    field('throttleTimeMs', 'int32', '0+'),
    field(
      'resultsByTopic',
      array([
        field('name', 'string', '0+'),
        field(
          'resultsByPartition',
          array([field('partitionIndex', 'int32', '0+'), field('partitionErrorCode', 'int16', '0+')]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ),
  handle(request, { broker, version }) {
    const registry = broker.topics();
    const logs: PartitionLog[] = [];
    const missing = new Map<string, KafkaErrorCode>();
    for (const { name, partitions } of request.topics) {
      for (const partition of partitions) {
        const log = registry.get(name)?.logs[partition];
        if (log === undefined) missing.set(`${name}\0${partition}`, missingTopicCode(name));
        else logs.push(log);
      }
    }
    const code =
      missing.size > 0
        ? KafkaError.OPERATION_NOT_ATTEMPTED
        : broker.transactions.addPartitions(
            request.transactionalId,
            request.producerId,
            request.producerEpoch,
            logs,
            fencedCode(version),
          );
    return {
      throttleTimeMs: 0,
      resultsByTopic: request.topics.map(({ name, partitions }) => ({
        name,
        resultsByPartition: partitions.map((partitionIndex) => ({
          partitionIndex,
          partitionErrorCode: missing.get(`${name}\0${partitionIndex}`) ?? code,
        })),
      })),
    };
  },
});

interface AddOffsetsToTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  groupId: string;
}

interface ErrorOnlyResponse {
  throttleTimeMs: number;
  errorCode: number;
}

const errorOnlyResponse = message('3+', field('throttleTimeMs', 'int32', '0+'), field('errorCode', 'int16', '0+'));

/** AddOffsetsToTxn (25): the group's offsets may be committed in the producer's transaction (TxnOffsetCommit). */
export const addOffsetsToTxnApi = defineApi<AddOffsetsToTxnRequest, ErrorOnlyResponse>({
  key: 25,
  name: 'AddOffsetsToTxn',
  min: 0,
  max: 4,
  request: message(
    '3+',
    field('transactionalId', 'string', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('groupId', 'string', '0+'),
  ),
  response: errorOnlyResponse,
  handle(request, { broker, version }) {
    const errorCode = broker.transactions.addOffsets(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.groupId,
      fencedCode(version),
    );
    return { throttleTimeMs: 0, errorCode };
  },
});

interface EndTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  committed: boolean;
}

/**
 * EndTxn (26): commits (records visible, offsets committed, in one write) or aborts (records removed) the
 * producer's transaction; answered once that is durable. Without an open transaction: INVALID_TXN_STATE (NONE
 * for a retry of the EndTxn that ended the last one).
 */
export const endTxnApi = defineApi<EndTxnRequest, ErrorOnlyResponse>({
  key: 26,
  name: 'EndTxn',
  min: 0,
  max: 4,
  request: message(
    '3+',
    field('transactionalId', 'string', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('committed', 'bool', '0+'),
  ),
  response: errorOnlyResponse,
  async handle(request, { broker, version }) {
    const errorCode = await broker.transactions.end(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.committed,
      fencedCode(version),
    );
    return { throttleTimeMs: 0, errorCode };
  },
});
