/**
 * OffsetCommit and OffsetFetch: committed offsets of Kafka-protocol groups, in the same store as Herald's own
 * groups (so a Herald group and a Kafka consumer of the same name would see the same commits; they are kept from
 * running at the same time). Commit metadata strings are not stored: fetches return them empty.
 */
import type { OffsetCommit } from '../../writer.ts';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';
import { kafkaCodeOf, missingTopicCode } from './topic-errors.ts';
import type { ListenerContext } from '../server/context.ts';

interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number }[] }[];
}

interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[];
}

/** The member committing: its group, generation (-1: a client outside any group) and member ids. */
export interface Committer {
  groupId: string;
  generation: number;
  memberId: string;
  groupInstanceId: string | null;
}

/**
 * Why this member may not commit to its group now, or NONE: INVALID_GROUP_ID for the empty name, the group's
 * generation check (OffsetCommit, and TxnOffsetCommit since KIP-447), UNKNOWN_MEMBER_ID while Herald's own
 * consumers hold the group.
 */
export function commitError(broker: ListenerContext, committer: Committer): number {
  const { groupId, generation, memberId, groupInstanceId } = committer;
  if (groupId === '') return KafkaError.INVALID_GROUP_ID;
  if (broker.nativeGroupActive(groupId)) return KafkaError.UNKNOWN_MEMBER_ID;
  const group = broker.groups.get(groupId);
  if (group === undefined) return generation < 0 ? KafkaError.NONE : KafkaError.UNKNOWN_MEMBER_ID;
  return group.commitError(memberId, groupInstanceId, generation);
}

export const offsetCommitApi = defineApi<OffsetCommitRequest, OffsetCommitResponse>({
  key: 8,
  name: 'OffsetCommit',
  min: 2,
  max: 9,
  request: message(
    '8+',
    field('groupId', 'string', '0+'),
    field('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
    field('memberId', 'string', '1+'),
    field('groupInstanceId', 'string', '7+', { nullable: '7+' }),
    field('retentionTimeMs', 'int64', '2-4', { default: -1 }),
    field(
      'topics',
      array([
        field('name', 'string', '0+'),
        field(
          'partitions',
          array([
            field('partitionIndex', 'int32', '0+'),
            field('committedOffset', 'int64', '0+'),
            field('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
            field('commitTimestamp', 'int64', '1', { default: -1 }),
            field('committedMetadata', 'string', '0+', { nullable: '0+' }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ),
  response: message(
    '8+',
    field('throttleTimeMs', 'int32', '3+'),
    field(
      'topics',
      array([
        field('name', 'string', '0+'),
        field('partitions', array([field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')]), '0+'),
      ]),
      '0+',
    ),
  ),
  async handle(request, { broker }) {
    const refused = commitError(broker, {
      groupId: request.groupId,
      generation: request.generationIdOrMemberEpoch,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
    });
    const registry = broker.topics();
    const commits: OffsetCommit[] = [];
    const codes = request.topics.map(({ name, partitions }) =>
      partitions.map(({ partitionIndex, committedOffset }) => {
        if (refused !== KafkaError.NONE) return refused;
        const log = registry.get(name)?.logs[partitionIndex];
        if (log === undefined) return missingTopicCode(name);
        if (committedOffset < 0) return KafkaError.OFFSET_OUT_OF_RANGE;
        commits.push({ group: request.groupId, log, offset: committedOffset });
        return KafkaError.NONE;
      }),
    );
    if (commits.length > 0) {
      try {
        await broker.writer().commitOffsets(commits);
      } catch (err) {
        const code = kafkaCodeOf(err);
        for (const list of codes) list.forEach((c, i) => (list[i] = c === KafkaError.NONE ? code : c));
      }
    }
    return {
      throttleTimeMs: 0,
      topics: request.topics.map(({ name, partitions }, t) => ({
        name,
        partitions: partitions.map(({ partitionIndex }, p) => ({ partitionIndex, errorCode: codes[t][p] })),
      })),
    };
  },
});

type TopicsQuery = { name: string; partitionIndexes: number[] }[] | null;

interface OffsetFetchRequest {
  groupId: string;
  topics: TopicsQuery;
  groups: { groupId: string; topics: TopicsQuery }[];
}

interface PartitionOffset {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

type TopicOffsets = { name: string; partitions: PartitionOffset[] }[];

interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: TopicOffsets;
  errorCode: number;
  groups: { groupId: string; topics: TopicOffsets; errorCode: number }[];
}

/** Committed offsets of `group` for the partitions asked (all it committed, for null); -1 where none. */
function committed(broker: ListenerContext, group: string, query: TopicsQuery): TopicOffsets {
  const registry = broker.topics();
  const offsets = broker.offsets();
  const entry = (partitionIndex: number, offset: number | null): PartitionOffset => ({
    partitionIndex,
    committedOffset: offset ?? -1,
    committedLeaderEpoch: -1,
    metadata: '',
    errorCode: KafkaError.NONE,
  });
  if (query === null) {
    const byTopic = new Map<string, PartitionOffset[]>();
    for (const [logId, offset] of offsets.ofGroup(group)) {
      const log = registry.logById(logId);
      if (log === undefined) continue;
      const list = byTopic.get(log.topic.name) ?? [];
      list.push(entry(log.partition, offset));
      byTopic.set(log.topic.name, list);
    }
    return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
  }
  return query.map(({ name, partitionIndexes }) => ({
    name,
    partitions: partitionIndexes.map((p) => {
      const log = registry.get(name)?.logs[p];
      return entry(p, log === undefined ? null : offsets.get(group, log.id));
    }),
  }));
}

const partitionOffsetFields = (range: string) => [
  field('partitionIndex', 'int32', range),
  field('committedOffset', 'int64', range),
  field('committedLeaderEpoch', 'int32', range === '0-7' ? '5-7' : range, { default: -1 }),
  field('metadata', 'string', range, { nullable: range }),
  field('errorCode', 'int16', range),
];

export const offsetFetchApi = defineApi<OffsetFetchRequest, OffsetFetchResponse>({
  key: 9,
  name: 'OffsetFetch',
  min: 1,
  max: 9,
  request: message(
    '6+',
    field('groupId', 'string', '0-7'),
    field('topics', array([field('name', 'string', '0-7'), field('partitionIndexes', array('int32'), '0-7')]), '0-7', {
      nullable: '2-7',
    }),
    field(
      'groups',
      array([
        field('groupId', 'string', '8+'),
        field('memberId', 'string', '9+', { nullable: '9+' }),
        field('memberEpoch', 'int32', '9+', { default: -1 }),
        field('topics', array([field('name', 'string', '8+'), field('partitionIndexes', array('int32'), '8+')]), '8+', {
          nullable: '8+',
        }),
      ]),
      '8+',
    ),
    field('requireStable', 'bool', '7+'),
  ),
  response: message(
    '6+',
    field('throttleTimeMs', 'int32', '3+'),
    field('topics', array([field('name', 'string', '0-7'), field('partitions', array(partitionOffsetFields('0-7')), '0-7')]), '0-7'),
    field('errorCode', 'int16', '2-7'),
    field(
      'groups',
      array([
        field('groupId', 'string', '8+'),
        field('topics', array([field('name', 'string', '8+'), field('partitions', array(partitionOffsetFields('8+')), '8+')]), '8+'),
        field('errorCode', 'int16', '8+'),
      ]),
      '8+',
    ),
  ),
  handle(request, { broker, version }) {
    if (version < 8) {
      return {
        throttleTimeMs: 0,
        topics: committed(broker, request.groupId, request.topics),
        errorCode: KafkaError.NONE,
        groups: [],
      };
    }
    return {
      throttleTimeMs: 0,
      topics: [],
      errorCode: KafkaError.NONE,
      groups: request.groups.map(({ groupId, topics }) => ({
        groupId,
        topics: committed(broker, groupId, topics),
        errorCode: KafkaError.NONE,
      })),
    };
  },
});
