import type { OffsetCommit } from '../../writer.ts';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';
import { commitError } from './offsets.ts';
import { missingTopicCode } from './topic-errors.ts';

interface TxnOffsetCommitRequest {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number }[] }[];
}

interface TxnOffsetCommitResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

/**
 * TxnOffsetCommit (28): offsets committed inside the producer's transaction — kept by the transaction coordinator
 * and written with the transaction's commit (nothing of them is visible before; an abort drops them). The group
 * must have been added by AddOffsetsToTxn (else INVALID_TXN_STATE); from version 3 the member's generation is
 * checked as OffsetCommit checks it (KIP-447), so a member that lost its partitions cannot commit them.
 */
export const txnOffsetCommitApi = defineApi<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  key: 28,
  name: 'TxnOffsetCommit',
  min: 0,
  max: 4,
  request: message(
    '3+',
    field('transactionalId', 'string', '0+'),
    field('groupId', 'string', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('generationId', 'int32', '3+', { default: -1 }),
    field('memberId', 'string', '3+'),
    field('groupInstanceId', 'string', '3+', { nullable: '3+' }),
    field(
      'topics',
      array([
        field('name', 'string', '0+'),
        field(
          'partitions',
          array([
            field('partitionIndex', 'int32', '0+'),
            field('committedOffset', 'int64', '0+'),
            field('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
            field('committedMetadata', 'string', '0+', { nullable: '0+' }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ),
  response: message(
    '3+',
    field('throttleTimeMs', 'int32', '0+'),
    field(
      'topics',
      array([
        field('name', 'string', '0+'),
        field('partitions', array([field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')]), '0+'),
      ]),
      '0+',
    ),
  ),
  handle(request, { broker }) {
    const memberError = commitError(broker, {
      groupId: request.groupId,
      generation: request.generationId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
    });
    const keep =
      memberError === KafkaError.NONE
        ? broker.transactions.commitOffsets(request.transactionalId, request.producerId, request.producerEpoch, request.groupId)
        : memberError;
    const registry = broker.topics();
    const commits: OffsetCommit[] = [];
    const topics = request.topics.map(({ name, partitions }) => ({
      name,
      partitions: partitions.map(({ partitionIndex, committedOffset }) => {
        if (typeof keep === 'number') return { partitionIndex, errorCode: keep };
        const log = registry.get(name)?.logs[partitionIndex];
        if (log === undefined) return { partitionIndex, errorCode: missingTopicCode(name) };
        if (committedOffset < 0) return { partitionIndex, errorCode: KafkaError.OFFSET_OUT_OF_RANGE };
        commits.push({ group: request.groupId, log, offset: committedOffset });
        return { partitionIndex, errorCode: KafkaError.NONE };
      }),
    }));
    if (typeof keep !== 'number') for (const commit of commits) keep(commit);
    return { throttleTimeMs: 0, topics };
  },
});
