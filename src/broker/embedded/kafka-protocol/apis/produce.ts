import { recordSize, storedHeaders } from '../../records.ts';
import type { AppendRecord } from '../../pending-log.ts';
import { BatchError, decodeBatches, type IncomingBatch } from '../records/batch.ts';
import type { PlainRecords } from '../records/plain.ts';
import { HeaderError, toHeraldHeaders } from '../records/headers.ts';
import { KafkaError, type KafkaErrorCode } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi, type RequestContext } from './api.ts';
import { kafkaCodeOf, missingTopicCode } from './topic-errors.ts';

interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: { name: string; partitionData: { index: number; records: Buffer | null }[] }[];
}

interface PartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

interface ProduceResponse {
  responses: { name: string; partitionResponses: PartitionResponse[] }[];
  throttleTimeMs: number;
}

function failure(index: number, code: KafkaErrorCode, message: string | null): PartitionResponse {
  return {
    index,
    errorCode: code,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage: message,
  };
}

class RefusedBatch extends Error {
  readonly code: KafkaErrorCode;
  constructor(code: KafkaErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Whether `batch` is stored as it came without decoding its records (see `Writer.appendPlain`): its records are
 * plain, carry their own timestamps (not the append time), their offset deltas run to the batch's last, and a
 * compacted topic gets a key with each.
 */
function plainFor(batch: IncomingBatch, log: AppendRecord['log'], appendTime: number | null): PlainRecords | undefined {
  const plain = batch.plain;
  if (plain === undefined || batch.control || batch.logAppendTime || appendTime !== null) return undefined;
  if (batch.lastOffsetDelta !== plain.count - 1 || (plain.nullKeys && log.topic.compacted)) return undefined;
  return plain;
}

/**
 * The records of validated batches, ready for the writer (`undefined` for a batch stored as it came without them,
 * see {@link plainFor}); refuses what Herald cannot store unchanged.
 */
function toAppendRecords(
  batches: IncomingBatch[],
  log: AppendRecord['log'],
  appendTime: number | null,
): (AppendRecord[] | undefined)[] {
  const compacted = log.topic.compacted;
  const now = Date.now();
  return batches.map((batch) => {
    if (plainFor(batch, log, appendTime) !== undefined) return undefined;
    if (batch.control) throw new RefusedBatch(KafkaError.INVALID_RECORD, 'control batches are written by brokers only');
    return batch.records.map((record) => {
      if (compacted && record.key === null) {
        throw new RefusedBatch(KafkaError.INVALID_RECORD, `topic ${log.topic.name} is compacted: every record needs a key`);
      }
      let headers: AppendRecord['headers'];
      try {
        headers = storedHeaders(toHeraldHeaders(record.headers));
      } catch (err) {
        if (err instanceof HeaderError) throw new RefusedBatch(KafkaError.INVALID_RECORD, err.message);
        throw err;
      }
      const timestamp = appendTime ?? (record.timestamp >= 0 ? record.timestamp : now);
      if (!Number.isSafeInteger(timestamp)) {
        throw new RefusedBatch(KafkaError.INVALID_TIMESTAMP, `timestamp ${timestamp} is out of range`);
      }
      return { log, timestamp, key: record.key, value: record.value, headers, size: recordSize(record.key, record.value, headers) };
    });
  });
}

/**
 * Whether `batch` can be stored as it came (see `Writer.appendEncoded`): no compression, and
 * its records exactly as prepared — offset deltas 0, 1, … and their own timestamps (not the append time, nor the
 * time put in for a record without one).
 */
function storesAsSent(batch: IncomingBatch, prepared: AppendRecord[]): boolean {
  if (batch.compression !== 0 || batch.logAppendTime) return false;
  if (batch.lastOffsetDelta !== batch.records.length - 1) return false;
  for (let i = 0; i < batch.records.length; i++) {
    const record = batch.records[i];
    if (record.offsetDelta !== i || record.timestamp !== prepared[i].timestamp) return false;
  }
  return true;
}

/**
 * Appends one partition's batches. Runs synchronously up to the writer's queue (so pipelined requests of one
 * producer append in order), then resolves with the partition's answer once the records are durable.
 */
function producePartition(
  topicName: string,
  index: number,
  records: Buffer | null,
  acks: number,
  context: RequestContext,
): Promise<PartitionResponse> {
  const { broker } = context;
  if (acks !== 0 && acks !== 1 && acks !== -1) {
    return Promise.resolve(failure(index, KafkaError.INVALID_REQUIRED_ACKS, `acks ${acks}`));
  }
  const topic = broker.topics().get(topicName);
  const log = topic?.logs[index];
  if (log === undefined) return Promise.resolve(failure(index, missingTopicCode(topicName), null));
  let batches: IncomingBatch[];
  let prepared: (AppendRecord[] | undefined)[];
  const appendTime = log.topic.configs['message.timestamp.type'] === 'LogAppendTime' ? Date.now() : null;
  try {
    if (records === null || records.length === 0) throw new RefusedBatch(KafkaError.CORRUPT_MESSAGE, 'no records');
    batches = decodeBatches(records, broker.options.maxFrameBytes, true);
    prepared = toAppendRecords(batches, log, appendTime);
  } catch (err) {
    if (err instanceof BatchError || err instanceof RefusedBatch) return Promise.resolve(failure(index, err.code, err.message));
    return Promise.resolve(failure(index, KafkaError.CORRUPT_MESSAGE, (err as Error).message));
  }
  const offsets: Promise<number>[] = [];
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i];
    const plain = prepared[i] === undefined ? plainFor(batch, log, appendTime) : undefined;
    const count = plain?.count ?? prepared[i]!.length;
    if (count === 0) continue;
    const transactional = batch.transactional ? broker.transactions.checkProduce(batch.producerId, batch.producerEpoch, log) : undefined;
    const verdict =
      transactional !== undefined && 'code' in transactional
        ? ({ kind: 'error', ...transactional } as const)
        : broker.producers.check(batch.producerId, batch.producerEpoch, batch.baseSequence, count, log.id);
    if (verdict.kind === 'error') {
      if (offsets.length === 0) return Promise.resolve(failure(index, verdict.code, verdict.message));
      break; // earlier batches of this request are written; the producer's retry finds them as duplicates
    }
    if (verdict.kind === 'duplicate') {
      offsets.push(verdict.baseOffset);
      continue;
    }
    let appended: Promise<number>;
    const transaction = transactional === undefined || 'code' in transactional ? undefined : transactional;
    try {
      const writer = broker.writer();
      const records = prepared[i];
      if (records === undefined) {
        appended = writer.appendPlain(log, plain!, batch.bytes, transaction?.transaction);
      } else {
        const written = storesAsSent(batch, records)
          ? writer.appendEncoded(records, batch.bytes, transaction?.transaction)
          : writer.append(records, transaction?.transaction);
        appended = written.then((positions) => positions[0].offset);
      }
    } catch (err) {
      appended = Promise.reject(err);
    }
    transaction?.track(appended);
    verdict.commit(appended);
    offsets.push(appended);
  }
  if (offsets.length === 0) return Promise.resolve(failure(index, KafkaError.CORRUPT_MESSAGE, 'no records'));
  return Promise.all(offsets).then(
    ([baseOffset]) => ({
      index,
      errorCode: KafkaError.NONE,
      baseOffset,
      logAppendTimeMs: appendTime ?? -1,
      logStartOffset: -1,
      recordErrors: [],
      errorMessage: null,
    }),
    (err: unknown) => failure(index, kafkaCodeOf(err), (err as Error).message),
  );
}

/**
 * Produce (0): record batches v2, any compression, idempotent producers (sequence checks), transactional producers
 * (a transactional batch goes only into its producer's open transaction, at its current epoch, to a partition the
 * transaction added: else INVALID_PRODUCER_EPOCH / INVALID_TXN_STATE), acks 0/1/all. Every
 * ack level waits for the broker's durability policy before answering (acks=0 gets no answer at all), since the
 * embedded broker has no replicas to tell "leader" from "all" apart.
 */
export const produceApi = defineApi<ProduceRequest, ProduceResponse>({
  key: 0,
  name: 'Produce',
  min: 3,
  max: 11,
  request: message(
    '9+',
    field('transactionalId', 'string', '3+', { nullable: '3+' }),
    field('acks', 'int16', '0+'),
    field('timeoutMs', 'int32', '0+'),
    field(
      'topicData',
      array([
        field('name', 'string', '0+'),
        field(
          'partitionData',
          array([field('index', 'int32', '0+'), field('records', 'records', '0+', { nullable: '0+' })]),
          '0+',
        ),
      ]),
      '0+',
    ),
  ),
  response: message(
    '9+',
    field(
      'responses',
      array([
        field('name', 'string', '0+'),
        field(
          'partitionResponses',
          array([
            field('index', 'int32', '0+'),
            field('errorCode', 'int16', '0+'),
            field('baseOffset', 'int64', '0+'),
            field('logAppendTimeMs', 'int64', '2+'),
            field('logStartOffset', 'int64', '5+'),
            field(
              'recordErrors',
              array([
                field('batchIndex', 'int32', '8+'),
                field('batchIndexErrorMessage', 'string', '8+', { nullable: '8+' }),
              ]),
              '8+',
            ),
            field('errorMessage', 'string', '8+', { nullable: '8+' }),
          ]),
          '0+',
        ),
      ]),
      '0+',
    ),
    field('throttleTimeMs', 'int32', '1+'),
  ),
  handle(request, context) {
    const pending = request.topicData.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionData.map((p) => producePartition(topic.name, p.index, p.records, request.acks, context)),
    }));
    if (request.acks === 0) return null;
    return Promise.all(
      pending.map(async (topic) => ({ name: topic.name, partitionResponses: await Promise.all(topic.partitions) })),
    ).then((responses) => ({ responses, throttleTimeMs: 0 }));
  },
});
