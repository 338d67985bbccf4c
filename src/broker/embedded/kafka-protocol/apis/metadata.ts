import type { TopicState } from '../../partition-log.ts';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message, struct } from '../wire/schema.ts';
import { type ListenerContext, topicById, topicId } from '../server/context.ts';
import { defineApi } from './api.ts';
import { missingTopicCode } from './topic-errors.ts';
import { isTopicName } from '../../../rules.ts';

interface MetadataRequest {
  topics: { topicId: string; name: string | null }[] | null;
  allowAutoTopicCreation: boolean;
}

interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

interface MetadataTopic {
  errorCode: number;
  name: string | null;
  topicId: string;
  isInternal: boolean;
  partitions: MetadataPartition[];
  topicAuthorizedOperations: number;
}

interface MetadataResponse {
  throttleTimeMs: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataTopic[];
  clusterAuthorizedOperations: number;
}

const NO_TOPIC_ID = '00000000000000000000000000000000';
const UNKNOWN_OPERATIONS = -2147483648;

/** The broker as Metadata lists it (also used by FindCoordinator). */
export function brokerEntry(context: ListenerContext): { nodeId: number; host: string; port: number } {
  const { host, port } = context.advertised();
  return { nodeId: context.nodeId, host, port };
}

function describe(topic: TopicState, nodeId: number): MetadataTopic {
  return {
    errorCode: KafkaError.NONE,
    name: topic.name,
    topicId: topicId(topic),
    isInternal: false,
    partitions: topic.logs.map((log) => ({
      errorCode: KafkaError.NONE,
      partitionIndex: log.partition,
      leaderId: nodeId,
      leaderEpoch: 0,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: UNKNOWN_OPERATIONS,
  };
}

function missing(name: string | null, id: string, code: number): MetadataTopic {
  return { errorCode: code, name, topicId: id, isInternal: false, partitions: [], topicAuthorizedOperations: UNKNOWN_OPERATIONS };
}

/**
 * Metadata (3): this broker as the only node, leader of every partition, and the topics asked for (all of them
 * for a null list). A missing topic is created when the client allows it and `autoCreateTopics` is on, as Kafka's
 * `auto.create.topics.enable` does.
 */
export const metadataApi = defineApi<MetadataRequest, MetadataResponse>({
  key: 3,
  name: 'Metadata',
  min: 0,
  max: 12,
  request: message(
    '9+',
    field('topics', array([field('topicId', 'uuid', '10+'), field('name', 'string', '0+', { nullable: '10+' })]), '0+', {
      nullable: '1+',
    }),
    field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
    field('includeClusterAuthorizedOperations', 'bool', '8-10'),
    field('includeTopicAuthorizedOperations', 'bool', '8+'),
  ),
  response: message(
    '9+',
    field('throttleTimeMs', 'int32', '3+'),
    field(
      'brokers',
      array([
        field('nodeId', 'int32', '0+'),
        field('host', 'string', '0+'),
        field('port', 'int32', '0+'),
        field('rack', 'string', '1+', { nullable: '1+' }),
      ]),
      '0+',
    ),
    field('clusterId', 'string', '2+', { nullable: '2+' }),
    field('controllerId', 'int32', '1+'),
    field(
      'topics',
      array(
        struct(
          field('errorCode', 'int16', '0+'),
          field('name', 'string', '0+', { nullable: '12+' }),
          field('topicId', 'uuid', '10+'),
          field('isInternal', 'bool', '1+'),
          field(
            'partitions',
            array([
              field('errorCode', 'int16', '0+'),
              field('partitionIndex', 'int32', '0+'),
              field('leaderId', 'int32', '0+'),
              field('leaderEpoch', 'int32', '7+'),
              field('replicaNodes', array('int32'), '0+'),
              field('isrNodes', array('int32'), '0+'),
              field('offlineReplicas', array('int32'), '5+'),
            ]),
            '0+',
          ),
          field('topicAuthorizedOperations', 'int32', '8+'),
        ),
      ),
      '0+',
    ),
    field('clusterAuthorizedOperations', 'int32', '8-10'),
  ),
  async handle(request, { broker, version }) {
    const registry = broker.topics();
    const nodeId = broker.nodeId;
    let topics: MetadataTopic[];
    // Version 0 has no null list: an empty one means every topic.
    if (request.topics === null || (version === 0 && request.topics.length === 0)) {
      topics = registry.all().map((t) => describe(t, nodeId));
    } else {
      const autoCreate = broker.options.autoCreateTopics && (version < 4 || request.allowAutoTopicCreation);
      topics = [];
      for (const wanted of request.topics) {
        let topic: TopicState | undefined;
        if (wanted.name === null) {
          topic = topicById(registry, wanted.topicId);
          if (topic === undefined) topics.push(missing(null, wanted.topicId, 100 /* UNKNOWN_TOPIC_ID */));
          else topics.push(describe(topic, nodeId));
          continue;
        }
        topic = registry.get(wanted.name);
        if (topic === undefined && autoCreate && isTopicName(wanted.name)) {
          try {
            await broker.createTopic({ name: wanted.name, partitions: broker.options.defaultPartitions });
          } catch {
            // Created meanwhile by someone else, or the broker is stopping: report what is there now.
          }
          topic = broker.topics().get(wanted.name);
        }
        topics.push(
          topic === undefined ? missing(wanted.name, NO_TOPIC_ID, missingTopicCode(wanted.name)) : describe(topic, nodeId),
        );
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: [{ ...brokerEntry(broker), rack: null }],
      clusterId: broker.clusterId,
      controllerId: nodeId,
      topics,
      clusterAuthorizedOperations: UNKNOWN_OPERATIONS,
    };
  },
});
