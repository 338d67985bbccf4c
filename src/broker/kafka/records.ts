/**
 * Records between Herald and Kafka's wire format: checking what callers hand to `send`, and turning fetched record
 * batches into {@link BrokerRecord}s (offsets and timestamps as numbers, headers as UTF-8 strings).
 */
import type { RecordsBatch } from '@platformatic/kafka';
import { HeraldError } from '../../errors.ts';
import type { BrokerRecord, Headers, OutgoingRecord, RecordPosition, TopicPartition } from '../broker.ts';
import { isTopicName } from '../options.ts';

/** Batch attribute bits (Kafka's `RecordBatch`): timestamp type, transactional batch, control batch. */
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL_BATCH = 0x10;
const CONTROL_BATCH = 0x20;
/** Control record type (the second int16 of a control record's key): the end of an aborted transaction. */
const ABORT_MARKER = 0;

/** A transaction a Fetch response reports as aborted in the fetched range (`abortedTransactions`). */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** Bytes a record costs on the wire besides its key, value and headers (varints, attributes, deltas). */
export const RECORD_OVERHEAD = 24;


function bad(message: string, details: unknown): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', message, { details });
}

/** Whether `name` is a legal Kafka topic name (`[a-zA-Z0-9._-]`, at most 249 characters, not `.` or `..`). */

function isSafeNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkHeaders(headers: unknown, index: number): void {
  if (headers === undefined) return;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw bad(`record ${index}: headers must be an object of strings`, { index, field: 'headers' });
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw bad(`record ${index}: header ${JSON.stringify(name)} is not a string`, { index, field: 'headers' });
    }
  }
}

/**
 * Checks the shape of every record, so that a bad one rejects the whole call before anything is sent.
 * Topic existence and partition ranges need metadata and are checked by the producer.
 */
export function checkOutgoing(records: unknown): asserts records is OutgoingRecord[] {
  if (!Array.isArray(records)) throw bad('send takes an array of records', { field: 'records' });
  let checkedTopic: unknown;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as Partial<OutgoingRecord> | null;
    if (typeof r !== 'object' || r === null) throw bad(`record ${i} is not an object`, { index: i });
    if (r.topic !== checkedTopic) {
      if (!isTopicName(r.topic)) throw bad(`record ${i}: invalid topic ${JSON.stringify(r.topic)}`, { index: i });
      checkedTopic = r.topic;
    }
    if (r.key !== undefined && r.key !== null && !(r.key instanceof Uint8Array)) {
      throw bad(`record ${i}: key must be a Buffer or null`, { index: i, field: 'key' });
    }
    if (r.value !== null && !(r.value instanceof Uint8Array)) {
      throw bad(`record ${i}: value must be a Buffer or null`, { index: i, field: 'value' });
    }
    if (r.partition !== undefined && !isSafeNonNegative(r.partition)) {
      throw bad(`record ${i}: partition must be an integer >= 0`, { index: i, field: 'partition' });
    }
    if (r.timestamp !== undefined && !isSafeNonNegative(r.timestamp)) {
      throw bad(`record ${i}: timestamp must be an integer >= 0 (ms since the epoch)`, {
        index: i,
        field: 'timestamp',
      });
    }
    checkHeaders(r.headers, i);
  }
}

/** Checks a topic/partition argument (commit, seek, pause, read). */
export function checkTopicPartition(tp: unknown, what: string): asserts tp is TopicPartition {
  const t = tp as Partial<TopicPartition> | null;
  if (typeof t !== 'object' || t === null || !isTopicName(t.topic) || !isSafeNonNegative(t.partition)) {
    throw bad(`${what}: expected { topic, partition } with a valid topic and an integer partition >= 0`, { what });
  }
}

/** Checks a position argument (commit, seek, read). */
export function checkPosition(position: unknown, what: string): asserts position is RecordPosition {
  checkTopicPartition(position, what);
  if (!isSafeNonNegative((position as RecordPosition).offset)) {
    throw bad(`${what}: offset must be an integer >= 0`, { what });
  }
}

/** Approximate wire size of a record, used to cap produce requests. */
export function recordBytes(record: OutgoingRecord): number {
  let bytes = RECORD_OVERHEAD + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  if (record.headers !== undefined) {
    for (const name in record.headers) bytes += 8 + Buffer.byteLength(name) + Buffer.byteLength(record.headers[name]);
  }
  return bytes;
}

/** A Buffer view of `bytes` without copying (callers may pass plain `Uint8Array`s). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeHeaders(raw: [Buffer | null, Buffer | null][]): Headers {
  const headers: Headers = {};
  for (const [name, value] of raw) {
    // Kafka allows null header values; Herald's headers are strings, so a null value reads as ''.
    const key = name === null ? '' : name.toString('utf8');
    const text = value === null ? '' : value.toString('utf8');
    // '__proto__' is an ordinary header name: define it as an own property instead of setting the prototype.
    if (key === '__proto__') Object.defineProperty(headers, key, { value: text, enumerable: true, writable: true });
    else headers[key] = text;
  }
  return headers;
}

function isAbortMarker(batch: RecordsBatch): boolean {
  const key = batch.records[0]?.key;
  return key !== null && key !== undefined && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER;
}

/**
 * Drops batches of aborted transactions, as Kafka's Java consumer does under read_committed: a transactional batch
 * is aborted when its producer has an aborted transaction that started at or before the batch's last offset and
 * whose abort marker has not been passed yet. The broker lists, with each response, every aborted transaction that
 * overlaps the fetched range, so each response can be filtered on its own. (The library's own filter keeps a
 * transaction's records when its abort marker falls outside the response, and one range per producer only.)
 */
function abortedFilter(aborted: readonly AbortedTransaction[]): (batch: RecordsBatch) => boolean {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  let head = 0;
  return (batch) => {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (head < pending.length && pending[head].firstOffset <= last) abortedProducers.add(pending[head++].producerId);
    if ((batch.attributes & CONTROL_BATCH) !== 0) {
      if (isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
      return false;
    }
    return (batch.attributes & TRANSACTIONAL_BATCH) !== 0 && abortedProducers.has(batch.producerId);
  };
}

/**
 * Appends the records of `batches` (one fetched partition) at or after `from` to `out`, skipping control batches
 * and — given the response's `aborted` transactions (read_committed) — batches of aborted transactions, and returns
 * the next offset to fetch (`from` when `batches` held nothing).
 */
export function decodeBatches(
  topic: string,
  partition: number,
  batches: RecordsBatch[],
  from: number,
  out: BrokerRecord[],
  limit = Number.POSITIVE_INFINITY,
  aborted: readonly AbortedTransaction[] | null = null,
): number {
  let next = from;
  const isAborted = aborted === null || aborted.length === 0 ? null : abortedFilter(aborted);
  for (const batch of batches) {
    const base = Number(batch.firstOffset);
    const batchEnd = base + batch.lastOffsetDelta + 1;
    if ((isAborted !== null && isAborted(batch)) || (batch.attributes & CONTROL_BATCH) !== 0) {
      if (batchEnd > next) next = batchEnd;
      continue;
    }
    const appendTime = (batch.attributes & LOG_APPEND_TIME) !== 0 ? Number(batch.maxTimestamp) : -1;
    const firstTimestamp = Number(batch.firstTimestamp);
    for (const record of batch.records) {
      const offset = base + record.offsetDelta;
      if (offset < from) continue;
      if (out.length >= limit) return next;
      out.push({
        topic,
        partition,
        offset,
        key: record.key,
        value: record.value,
        headers: record.headers.length === 0 ? {} : decodeHeaders(record.headers),
        timestamp: appendTime >= 0 ? appendTime : firstTimestamp + Number(record.timestampDelta),
      });
      next = offset + 1;
    }
    // Compaction leaves holes: the batch may end after its last surviving record.
    if (batchEnd > next) next = batchEnd;
  }
  return next;
}
