import type { TopicState } from '../../partition-log.ts';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';

interface RequestTopic {
  topic: string;
  partitions: number[];
}

interface ResultTopic {
  name: string;
  partitions: { partitionIndex: number; partitionSize: number; offsetLag: number; isFutureKey: boolean }[];
}

/** The one log dir the embedded broker reports: its store holds every partition. */
const LOG_DIR = 'herald-embedded';

function describeTopic(topic: TopicState, partitions: number[] | undefined): ResultTopic {
  const logs = partitions === undefined ? topic.logs : topic.logs.filter((log) => partitions.includes(log.partition));
  return {
    name: topic.name,
    partitions: logs.map((log) => ({ partitionIndex: log.partition, partitionSize: log.bytes, offsetLag: 0, isFutureKey: false })),
  };
}

/**
 * DescribeLogDirs (35): the bytes each partition stores (key, value and headers of its records, as retention counts
 * them), in one log dir. Unknown topics are left out, as Kafka leaves out what a broker does not host; the dir's
 * total and usable bytes are not reported (-1).
 */
export const describeLogDirsApi = defineApi<
  { topics: RequestTopic[] | null },
  { throttleTimeMs: number; errorCode: number; results: { errorCode: number; logDir: string; topics: ResultTopic[]; totalBytes: number; usableBytes: number }[] }
>({
  key: 35,
  name: 'DescribeLogDirs',
  min: 1,
  max: 4,
  request: message(
    '2+',
    field('topics', array([field('topic', 'string', '0+'), field('partitions', array('int32'), '0+')]), '0+', { nullable: '0+' }),
  ),
  response: message(
    '2+',
    field('throttleTimeMs', 'int32', '0+'),
    field('errorCode', 'int16', '3+'),
    field(
      'results',
      array([
        field('errorCode', 'int16', '0+'),
        field('logDir', 'string', '0+'),
        field(
          'topics',
          array([
            field('name', 'string', '0+'),
            field(
              'partitions',
              array([
                field('partitionIndex', 'int32', '0+'),
                field('partitionSize', 'int64', '0+'),
                field('offsetLag', 'int64', '0+'),
                field('isFutureKey', 'bool', '0+'),
              ]),
              '0+',
            ),
          ]),
          '0+',
        ),
        field('totalBytes', 'int64', '4+', { default: -1 }),
        field('usableBytes', 'int64', '4+', { default: -1 }),
      ]),
      '0+',
    ),
  ),
  handle(request, { broker }) {
    const registry = broker.topics();
    const topics: ResultTopic[] = [];
    if (request.topics === null) {
      for (const topic of registry.all()) topics.push(describeTopic(topic, undefined));
    } else {
      for (const wanted of request.topics) {
        const topic = registry.get(wanted.topic);
        if (topic !== undefined) topics.push(describeTopic(topic, wanted.partitions));
      }
    }
    return {
      throttleTimeMs: 0,
      errorCode: KafkaError.NONE,
      results: [{ errorCode: KafkaError.NONE, logDir: LOG_DIR, topics, totalBytes: -1, usableBytes: -1 }],
    };
  },
});
