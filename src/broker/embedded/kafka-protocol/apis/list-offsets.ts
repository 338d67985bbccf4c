import type { PartitionLog } from '../../partition-log.ts';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';
import { kafkaCodeOf, missingTopicCode } from './topic-errors.ts';

interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: { name: string; partitions: { partitionIndex: number; currentLeaderEpoch: number; timestamp: number }[] }[];
}

interface PartitionResponse {
  partitionIndex: number;
  errorCode: number;
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: { name: string; partitions: PartitionResponse[] }[];
}

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;

/**
 * `[offset, timestamp]` answering one query: special timestamps, or the first record at or after a time. The latest
 * offset is the last stable offset for read_committed (isolation 1), the log's end otherwise.
 */
function lookup(log: PartitionLog, timestamp: number, isolation: number): [number, number] {
  switch (timestamp) {
    case LATEST:
      return [isolation === 1 ? log.next : log.end, -1];
    case EARLIEST:
    case EARLIEST_LOCAL:
      return [log.earliest(), -1];
    case MAX_TIMESTAMP:
      return log.newestTimestamp() ?? [-1, -1];
    default:
      // Other negative values (e.g. -5, latest tiered) have nothing to point at here.
      if (timestamp < 0) return [-1, -1];
      return log.firstAtOrAfter(timestamp) ?? [-1, -1];
  }
}

/**
 * ListOffsets (2): earliest, latest (read_committed: the last stable offset), the record with the newest timestamp,
 * or the first record at a time.
 */
export const listOffsetsApi = defineApi<ListOffsetsRequest, ListOffsetsResponse>({
  key: 2,
  name: 'ListOffsets',
  min: 1,
  max: 9,
  request: message(
    '6+',
    field('replicaId', 'int32', '0+'),
    field('isolationLevel', 'int8', '2+'),
    field(
      'topics',
      array([
        field('name', 'string', '0+'),
        field(
          'partitions',
          array([
            field('partitionIndex', 'int32', '0+'),
            field('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
            field('timestamp', 'int64', '0+'),
            field('maxNumOffsets', 'int32', '0', { default: 1 }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
    field('timeoutMs', 'int32', '10+'),
  ),
  response: message(
    '6+',
    field('throttleTimeMs', 'int32', '2+'),
    field(
      'topics',
      array([
        field('name', 'string', '0+'),
        field(
          'partitions',
          array([
            field('partitionIndex', 'int32', '0+'),
            field('errorCode', 'int16', '0+'),
            field('oldStyleOffsets', array('int64'), '0'),
            field('timestamp', 'int64', '1+', { default: -1 }),
            field('offset', 'int64', '1+', { default: -1 }),
            field('leaderEpoch', 'int32', '4+', { default: -1 }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ),
  handle(request, { broker }) {
    const registry = broker.topics();
    return {
      throttleTimeMs: 0,
      topics: request.topics.map(({ name, partitions }) => ({
        name,
        partitions: partitions.map(({ partitionIndex, timestamp }): PartitionResponse => {
          const log = registry.get(name)?.logs[partitionIndex];
          const none = { partitionIndex, timestamp: -1, offset: -1, leaderEpoch: -1 };
          if (log === undefined) return { ...none, errorCode: missingTopicCode(name) };
          try {
            const [offset, at] = lookup(log, timestamp, request.isolationLevel);
            return { partitionIndex, errorCode: KafkaError.NONE, timestamp: at, offset, leaderEpoch: 0 };
          } catch (err) {
            return { ...none, errorCode: kafkaCodeOf(err) };
          }
        }),
      })),
    };
  },
});
