/** CreateTopics and DeleteTopics, through the embedded broker's own admin (so Herald's groups rebalance too). */
import type { TopicSpec } from '../../../port.ts';
import { MAX_PARTITIONS } from '../../../rules.ts';
import { topicById, topicId } from '../server/context.ts';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';
import { kafkaCodeOf, missingTopicCode } from './topic-errors.ts';
import { isTopicName } from '../../../rules.ts';
import { HeraldError } from '../../../../errors.ts';

interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: { name: string; value: string | null }[];
}

interface CreatableTopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
  configs: { name: string; value: string | null; readOnly: boolean; configSource: number; isSensitive: boolean }[] | null;
}

class Refused extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** A CreateTopics entry as Herald's topic spec; `cleanup.policy` decides compaction, other configs pass through. */
function toSpec(topic: CreatableTopic, defaultPartitions: number): TopicSpec {
  if (!isTopicName(topic.name)) throw new Refused(KafkaError.INVALID_TOPIC_EXCEPTION, `invalid topic name ${JSON.stringify(topic.name)}`);
  const partitions = topic.assignments.length > 0 ? topic.assignments.length : topic.numPartitions === -1 ? defaultPartitions : topic.numPartitions;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new Refused(KafkaError.INVALID_PARTITIONS, `partitions must be from 1 to ${MAX_PARTITIONS}`);
  }
  if (topic.replicationFactor > 1) {
    throw new Refused(KafkaError.INVALID_REPLICATION_FACTOR, 'the embedded broker is one node: replication factor 1 at most');
  }
  const configs: Record<string, string> = {};
  let compacted = false;
  for (const { name, value } of topic.configs) {
    if (value === null) continue;
    if (name === 'cleanup.policy') {
      const policies = value.split(',').map((p) => p.trim());
      if (!policies.every((p) => p === 'compact' || p === 'delete')) {
        throw new Refused(KafkaError.INVALID_CONFIG, `cleanup.policy ${JSON.stringify(value)} is not delete or compact`);
      }
      compacted = policies.includes('compact');
    } else {
      configs[name] = value;
    }
  }
  return { name: topic.name, partitions, compacted, configs };
}

export const createTopicsApi = defineApi<
  { topics: CreatableTopic[]; timeoutMs: number; validateOnly: boolean },
  { throttleTimeMs: number; topics: CreatableTopicResult[] }
>({
  key: 19,
  name: 'CreateTopics',
  min: 2,
  max: 7,
  request: message(
    '5+',
    field(
      'topics',
      array([
        field('name', 'string', '0+'),
        field('numPartitions', 'int32', '0+'),
        field('replicationFactor', 'int16', '0+'),
        field('assignments', array([field('partitionIndex', 'int32', '0+'), field('brokerIds', array('int32'), '0+')]), '0+'),
        field('configs', array([field('name', 'string', '0+'), field('value', 'string', '0+', { nullable: '0+' })]), '0+'),
      ]),
      '0+',
    ),
    field('timeoutMs', 'int32', '0+', { default: 60_000 }),
    field('validateOnly', 'bool', '1+'),
  ),
  response: message(
    '5+',
    field('throttleTimeMs', 'int32', '2+'),
    field(
      'topics',
      array([
        field('name', 'string', '0+'),
        field('topicId', 'uuid', '7+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '1+', { nullable: '0+' }),
        field('topicConfigErrorCode', 'int16', '5+', { tag: 0 }),
        field('numPartitions', 'int32', '5+', { default: -1 }),
        field('replicationFactor', 'int16', '5+', { default: -1 }),
        field(
          'configs',
          array([
            field('name', 'string', '5+'),
            field('value', 'string', '5+', { nullable: '5+' }),
            field('readOnly', 'bool', '5+'),
            field('configSource', 'int8', '5+', { default: -1 }),
            field('isSensitive', 'bool', '5+'),
          ]),
          '5+',
          { nullable: '5+' },
        ),
      ]),
      '0+',
    ),
  ),
  async handle(request, { broker }) {
    const results: CreatableTopicResult[] = [];
    for (const topic of request.topics) {
      const result: CreatableTopicResult = {
        name: topic.name,
        topicId: '',
        errorCode: KafkaError.NONE,
        errorMessage: null,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      };
      try {
        const spec = toSpec(topic, broker.options.defaultPartitions);
        if (broker.topics().get(spec.name) !== undefined) {
          throw new Refused(KafkaError.TOPIC_ALREADY_EXISTS, `topic ${spec.name} already exists`);
        }
        if (!request.validateOnly) await broker.createTopic(spec);
        const created = broker.topics().get(spec.name);
        if (created !== undefined) result.topicId = topicId(created);
        result.numPartitions = spec.partitions;
        result.replicationFactor = 1;
        result.configs = [];
      } catch (err) {
        result.errorCode = err instanceof Refused ? err.code : kafkaCodeOf(err);
        if (err instanceof HeraldError && err.code === 'HERALD_INVALID_ARGUMENT') result.errorCode = KafkaError.INVALID_CONFIG;
        result.errorMessage = (err as Error).message;
      }
      results.push(result);
    }
    return { throttleTimeMs: 0, topics: results };
  },
});

interface DeleteTopicsRequest {
  topics: { name: string | null; topicId: string }[];
  topicNames: string[];
  timeoutMs: number;
}

interface DeletableTopicResult {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}

export const deleteTopicsApi = defineApi<DeleteTopicsRequest, { throttleTimeMs: number; responses: DeletableTopicResult[] }>({
  key: 20,
  name: 'DeleteTopics',
  min: 1,
  max: 6,
  request: message(
    '4+',
    field('topics', array([field('name', 'string', '6+', { nullable: '6+' }), field('topicId', 'uuid', '6+')]), '6+'),
    field('topicNames', array('string'), '0-5'),
    field('timeoutMs', 'int32', '0+'),
  ),
  response: message(
    '4+',
    field('throttleTimeMs', 'int32', '1+'),
    field(
      'responses',
      array([
        field('name', 'string', '0+', { nullable: '6+' }),
        field('topicId', 'uuid', '6+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '5+', { nullable: '5+' }),
      ]),
      '0+',
    ),
  ),
  async handle(request, { broker, version }) {
    const wanted = version < 6 ? request.topicNames.map((name) => ({ name, topicId: '' })) : request.topics;
    const responses: DeletableTopicResult[] = [];
    for (const { name, topicId: id } of wanted) {
      const registry = broker.topics();
      const topic = name !== null ? registry.get(name) : topicById(registry, id);
      if (topic === undefined) {
        responses.push({ name, topicId: id, errorCode: name === null ? 100 : missingTopicCode(name), errorMessage: null });
        continue;
      }
      try {
        await broker.deleteTopic(topic.name);
        responses.push({ name: topic.name, topicId: topicId(topic), errorCode: KafkaError.NONE, errorMessage: null });
      } catch (err) {
        responses.push({ name: topic.name, topicId: topicId(topic), errorCode: kafkaCodeOf(err), errorMessage: (err as Error).message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});
