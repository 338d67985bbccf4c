import { SEGMENT_BYTES } from '../../bulk-store.ts';
import type { TopicState } from '../../partition-log.ts';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import type { ListenerContext } from '../server/context.ts';
import { defineApi } from './api.ts';
import { missingTopicCode } from './topic-errors.ts';

interface Resource {
  resourceType: number;
  resourceName: string;
  configurationKeys: string[] | null;
}

interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: never[];
  configType: number;
  documentation: string | null;
}

interface Result {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: ConfigEntry[];
}

const TOPIC = 2;
const BROKER = 4;
/** Kafka's ConfigSource values. */
const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;
/** Kafka's ConfigType values. */
const STRING = 2;
const LONG = 5;
const INT = 3;
const BOOLEAN = 1;

function entry(name: string, value: string, source: number, type: number): ConfigEntry {
  return {
    name,
    value,
    readOnly: false,
    isDefault: source === DEFAULT_CONFIG,
    configSource: source,
    isSensitive: false,
    synonyms: [],
    configType: type,
    documentation: null,
  };
}

/** A topic's configs as Kafka reports them: what Herald uses, then whatever else was set at creation. */
function topicConfigs(topic: TopicState): ConfigEntry[] {
  const set = (name: string) => (Object.hasOwn(topic.configs, name) ? DYNAMIC_TOPIC_CONFIG : DEFAULT_CONFIG);
  const configs = [
    entry('cleanup.policy', topic.compacted ? 'compact' : 'delete', topic.compacted ? DYNAMIC_TOPIC_CONFIG : DEFAULT_CONFIG, STRING),
    entry('retention.ms', String(topic.retentionMs ?? -1), topic.retentionMs === null ? DEFAULT_CONFIG : DYNAMIC_TOPIC_CONFIG, LONG),
    entry(
      'retention.bytes',
      String(topic.retentionBytes ?? -1),
      topic.retentionBytes === null ? DEFAULT_CONFIG : DYNAMIC_TOPIC_CONFIG,
      LONG,
    ),
    entry('message.timestamp.type', topic.configs['message.timestamp.type'] ?? 'CreateTime', set('message.timestamp.type'), STRING),
    entry('min.insync.replicas', '1', DEFAULT_CONFIG, INT),
    entry('segment.bytes', String(topic.segmentBytes ?? SEGMENT_BYTES), set('segment.bytes'), INT),
  ];
  const listed = new Set(configs.map((c) => c.name));
  for (const [name, value] of Object.entries(topic.configs)) {
    if (!listed.has(name)) configs.push(entry(name, value, DYNAMIC_TOPIC_CONFIG, STRING));
  }
  return configs;
}

function brokerConfigs(broker: ListenerContext): ConfigEntry[] {
  return [
    entry('auto.create.topics.enable', String(broker.options.autoCreateTopics), STATIC_BROKER_CONFIG, BOOLEAN),
    entry('num.partitions', String(broker.options.defaultPartitions), STATIC_BROKER_CONFIG, INT),
    entry('socket.request.max.bytes', String(broker.options.maxFrameBytes), STATIC_BROKER_CONFIG, INT),
    entry('default.replication.factor', '1', DEFAULT_CONFIG, INT),
  ];
}

function describe(broker: ListenerContext, resource: Resource): Result {
  const result: Result = {
    errorCode: KafkaError.NONE,
    errorMessage: null,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
    configs: [],
  };
  let configs: ConfigEntry[];
  if (resource.resourceType === TOPIC) {
    const topic = broker.topics().get(resource.resourceName);
    if (topic === undefined) return { ...result, errorCode: missingTopicCode(resource.resourceName), errorMessage: 'unknown topic' };
    configs = topicConfigs(topic);
  } else if (resource.resourceType === BROKER && (resource.resourceName === '' || resource.resourceName === String(broker.nodeId))) {
    configs = brokerConfigs(broker);
  } else {
    return { ...result, errorCode: KafkaError.INVALID_REQUEST, errorMessage: 'only topics and this broker have configs' };
  }
  const keys = resource.configurationKeys;
  return { ...result, configs: keys === null || keys.length === 0 ? configs : configs.filter((c) => keys.includes(c.name)) };
}

/** DescribeConfigs (32): topic configs (cleanup policy, retention, …) and a few of this broker's. */
export const describeConfigsApi = defineApi<
  { resources: Resource[]; includeSynonyms: boolean; includeDocumentation: boolean },
  { throttleTimeMs: number; results: Result[] }
>({
  key: 32,
  name: 'DescribeConfigs',
  min: 1,
  max: 4,
  request: message(
    '4+',
    field(
      'resources',
      array([
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        field('configurationKeys', array('string'), '0+', { nullable: '0+' }),
      ]),
      '0+',
    ),
    field('includeSynonyms', 'bool', '1+'),
    field('includeDocumentation', 'bool', '3+'),
  ),
  response: message(
    '4+',
    field('throttleTimeMs', 'int32', '0+'),
    field(
      'results',
      array([
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullable: '0+' }),
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        field(
          'configs',
          array([
            field('name', 'string', '0+'),
            field('value', 'string', '0+', { nullable: '0+' }),
            field('readOnly', 'bool', '0+'),
            field('isDefault', 'bool', '0'),
            field('configSource', 'int8', '1+', { default: -1 }),
            field('isSensitive', 'bool', '0+'),
            field(
              'synonyms',
              array([
                field('name', 'string', '1+'),
                field('value', 'string', '1+', { nullable: '0+' }),
                field('source', 'int8', '1+'),
              ]),
              '1+',
            ),
            field('configType', 'int8', '3+'),
            field('documentation', 'string', '3+', { nullable: '0+' }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ),
  handle(request, { broker }) {
    return { throttleTimeMs: 0, results: request.resources.map((r) => describe(broker, r)) };
  },
});
