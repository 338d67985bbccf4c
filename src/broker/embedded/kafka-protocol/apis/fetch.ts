import type { PartitionLog } from '../../partition-log.ts';
import { nextOffsetAfter, type ReadAhead } from '../records/read-ahead.ts';
import { NO_BATCHES, readBatch, type RecordBatches } from '../records/read.ts';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message, struct } from '../wire/schema.ts';
import { type ListenerContext, topicById } from '../server/context.ts';
import { defineApi } from './api.ts';
import { kafkaCodeOf, missingTopicCode } from './topic-errors.ts';

interface FetchPartitionRequest {
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: number;
  logStartOffset: number;
  partitionMaxBytes: number;
}

interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: { topic: string; topicId: string; partitions: FetchPartitionRequest[] }[];
}

interface PartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: null;
  preferredReadReplica: number;
  records: RecordBatches;
}

interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: { topic: string; topicId: string; partitions: PartitionData[] }[];
}

const FETCH_SESSION_ID_NOT_FOUND = 70;
const UNKNOWN_TOPIC_ID = 100;

function partitionError(partitionIndex: number, errorCode: number): PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: NO_BATCHES,
  };
}

/** One pass over the requested partitions: what can be answered now, and the logs to wait on if it is too little. */
function collect(request: FetchRequest, version: number, broker: ListenerContext, readAhead: ReadAhead) {
  const registry = broker.topics();
  // From version 13 on, topics are named by id.
  const byId = version >= 13;
  let remaining = request.maxBytes > 0 ? request.maxBytes : 0x7fffffff;
  // read_committed (1) stops at each partition's last stable offset; read_uncommitted (0) reads to its end.
  const uncommitted = request.isolationLevel !== 1;
  let bytes = 0;
  let errors = false;
  const logs: PartitionLog[] = [];
  const responses = request.topics.map(({ topic, topicId: id, partitions }) => {
    const state = byId ? topicById(registry, id) : registry.get(topic);
    return {
      topic,
      topicId: id,
      partitions: partitions.map((p): PartitionData => {
        const log = state?.logs[p.partition];
        if (log === undefined) {
          errors = true;
          return partitionError(p.partition, byId ? UNKNOWN_TOPIC_ID : missingTopicCode(topic));
        }
        try {
          const end = log.end;
          const stable = log.next;
          const upTo = uncommitted ? end : stable;
          const earliest = log.logStart();
          if (p.fetchOffset > end || p.fetchOffset < earliest) {
            errors = true;
            return { ...partitionError(p.partition, KafkaError.OFFSET_OUT_OF_RANGE), highWatermark: end, logStartOffset: earliest };
          }
          let records = NO_BATCHES;
          if (p.fetchOffset < upTo && remaining > 0) {
            const budget = Math.min(remaining, Math.max(0, p.partitionMaxBytes));
            const prepared = readAhead.take(log, p.fetchOffset, budget, bytes === 0, uncommitted);
            records = prepared ?? readBatch(log, p.fetchOffset, budget, bytes === 0, upTo) ?? NO_BATCHES;
            bytes += records.byteLength;
            remaining -= records.byteLength;
            // A consumer reading a backlog fetches again from where this ends: prepare that now.
            if (records.byteLength > 0) {
              readAhead.schedule(log, nextOffsetAfter(records), Math.max(0, p.partitionMaxBytes), uncommitted);
            }
          }
          logs.push(log);
          return {
            partitionIndex: p.partition,
            errorCode: KafkaError.NONE,
            highWatermark: end,
            lastStableOffset: stable,
            logStartOffset: earliest,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records,
          };
        } catch (err) {
          errors = true;
          return partitionError(p.partition, kafkaCodeOf(err));
        }
      }),
    };
  });
  return { responses, bytes, errors, logs };
}

/** Resolves after the next append to any of `logs`, after `ms`, or when the listener stops or the client leaves. */
function waitForAppend(broker: ListenerContext, closed: AbortSignal, logs: PartitionLog[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const notifier = broker.notifier();
    const cancels: (() => void)[] = [];
    const done = () => {
      clearTimeout(timer);
      for (const cancel of cancels) cancel();
      broker.stopping.removeEventListener('abort', done);
      closed.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const log of logs) cancels.push(notifier.wait(log.id, done));
    broker.stopping.addEventListener('abort', done);
    closed.addEventListener('abort', done);
  });
}

/**
 * Fetch (1): records from each requested partition's offset, within the per-partition and total byte limits (the
 * first records found are sent even when larger: a consumer must progress), up to its last stable offset
 * (read_committed) or its end (read_uncommitted). Records of aborted transactions are removed from the log, so the
 * aborted-transactions list is never needed. Long polling: with fewer than `minBytes` ready, the answer waits for
 * new records, at most `maxWaitMs`. No fetch sessions: every request is a full one (session id 0), which clients
 * accept.
 */
export const fetchApi = defineApi<FetchRequest, FetchResponse>({
  key: 1,
  name: 'Fetch',
  min: 4,
  max: 17,
  request: message(
    '12+',
    field('clusterId', 'string', '12+', { nullable: '12+', tag: 0 }),
    field('replicaId', 'int32', '0-14', { default: -1 }),
    field('replicaState', struct(field('replicaId', 'int32', '15+'), field('replicaEpoch', 'int64', '15+')), '15+', { tag: 1 }),
    field('maxWaitMs', 'int32', '0+'),
    field('minBytes', 'int32', '0+'),
    field('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
    field('isolationLevel', 'int8', '4+'),
    field('sessionId', 'int32', '7+'),
    field('sessionEpoch', 'int32', '7+', { default: -1 }),
    field(
      'topics',
      array([
        field('topic', 'string', '0-12'),
        field('topicId', 'uuid', '13+'),
        field(
          'partitions',
          array([
            field('partition', 'int32', '0+'),
            field('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
            field('fetchOffset', 'int64', '0+'),
            field('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
            field('logStartOffset', 'int64', '5+', { default: -1 }),
            field('partitionMaxBytes', 'int32', '0+'),
            field('replicaDirectoryId', 'uuid', '17+', { tag: 0 }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
    field(
      'forgottenTopicsData',
      array([field('topic', 'string', '7-12'), field('topicId', 'uuid', '13+'), field('partitions', array('int32'), '7+')]),
      '7+',
    ),
    field('rackId', 'string', '11+'),
  ),
  response: message(
    '12+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '7+'),
    field('sessionId', 'int32', '7+'),
    field(
      'responses',
      array([
        field('topic', 'string', '0-12'),
        field('topicId', 'uuid', '13+'),
        field(
          'partitions',
          array(
            struct(
              field('partitionIndex', 'int32', '0+'),
              field('errorCode', 'int16', '0+'),
              field('highWatermark', 'int64', '0+'),
              field('lastStableOffset', 'int64', '4+', { default: -1 }),
              field('logStartOffset', 'int64', '5+', { default: -1 }),
              field(
                'abortedTransactions',
                array([field('producerId', 'int64', '4+'), field('firstOffset', 'int64', '4+')]),
                '4+',
                { nullable: '4+' },
              ),
              field('preferredReadReplica', 'int32', '11+', { default: -1 }),
              field('records', 'records', '0+', { nullable: '0+' }),
            ),
          ),
          '0+',
        ),
      ]),
      '0+',
    ),
  ),
  async handle(request, { broker, version, closed, readAhead }) {
    if (request.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const deadline = Date.now() + Math.max(0, request.maxWaitMs);
    for (;;) {
      const pass = collect(request, version, broker, readAhead);
      const left = deadline - Date.now();
      if (pass.errors || pass.bytes >= request.minBytes || left <= 0 || broker.stopping.aborted || closed.aborted) {
        return { throttleTimeMs: 0, errorCode: KafkaError.NONE, sessionId: 0, responses: pass.responses };
      }
      await waitForAppend(broker, closed, pass.logs, left);
    }
  },
});
