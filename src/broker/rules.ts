/**
 * The port's rules, in one place for every broker: what a valid topic spec, outgoing record, position and set of
 * consumer options is, and the defaults the port documents. Both adapters call these before doing anything, so a
 * bad argument gets the same answer — `HERALD_INVALID_ARGUMENT` naming the field in `details.field` — on every
 * broker, before anything is written or sent. What needs the broker's own state (does the topic exist, is the
 * partition in range, is the topic compacted) stays with each adapter.
 */
import { HeraldError } from '../errors.ts';
import type {
  AssignmentStrategy,
  CommitChain,
  ConsumerOptions,
  EndOffsetsOptions,
  Isolation,
  OutgoingRecord,
  RecordPosition,
  TailListener,
  TailReaderOptions,
  TopicPartition,
  TopicSpec,
} from './port.ts';

/** Most partitions a topic may have, on every broker (Kafka itself allows more; no Herald topic needs them). */
export const MAX_PARTITIONS = 10_000;

/**
 * Latest record timestamp accepted: the last millisecond a JavaScript `Date` can show (year 275760). Timestamps are
 * whole milliseconds since the epoch; a fraction or anything beyond this is refused rather than rounded or clipped.
 */
export const MAX_TIMESTAMP = 8_640_000_000_000_000;

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

function invalid(message: string, details: Record<string, unknown>): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', message, { details });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isIntegerAtLeast(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/** Kafka's topic-name rule: 1–249 of `[a-zA-Z0-9._-]`, and not `.` or `..`. */
export function isTopicName(name: unknown): name is string {
  return typeof name === 'string' && TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

/** @throws `HERALD_INVALID_ARGUMENT` for a name no topic can have. */
export function checkTopicName(name: unknown, field = 'name'): asserts name is string {
  if (!isTopicName(name)) {
    throw invalid(`topic name ${JSON.stringify(name)} is invalid: use 1-249 of [a-zA-Z0-9._-], not "." or ".."`, {
      field,
      value: name,
    });
  }
}

function checkOptionalPositive(value: unknown, field: string): void {
  if (value !== undefined && !isIntegerAtLeast(value, 1)) {
    throw invalid(`${field} must be an integer >= 1`, { field, value });
  }
}

/** @throws `HERALD_INVALID_ARGUMENT` for a spec no broker may create (see {@link MAX_PARTITIONS}). */
export function checkTopicSpec(spec: unknown): asserts spec is TopicSpec {
  if (!isPlainObject(spec)) throw invalid('a topic spec must be an object', { field: 'spec' });
  checkTopicName(spec.name);
  const { partitions } = spec;
  if (!isIntegerAtLeast(partitions, 1) || partitions > MAX_PARTITIONS) {
    throw invalid(`partitions must be an integer from 1 to ${MAX_PARTITIONS}`, { field: 'partitions', value: partitions });
  }
  if (spec.compacted !== undefined && typeof spec.compacted !== 'boolean') {
    throw invalid('compacted must be a boolean', { field: 'compacted', value: spec.compacted });
  }
  checkOptionalPositive(spec.replicationFactor, 'replicationFactor');
  checkOptionalPositive(spec.retentionMs, 'retentionMs');
  checkOptionalPositive(spec.retentionBytes, 'retentionBytes');
  if (spec.configs !== undefined) {
    if (!isPlainObject(spec.configs)) throw invalid('configs must be an object of strings', { field: 'configs' });
    for (const [name, value] of Object.entries(spec.configs)) {
      if (typeof value !== 'string') throw invalid(`configs.${name} must be a string`, { field: `configs.${name}` });
    }
  }
}

/**
 * Checks the shape of every record of a send, so that a bad one refuses the whole call before anything is written:
 * an array of objects with a valid topic name, a `Uint8Array` or `null` key and value (`value` is required:
 * `null` is a tombstone), string headers, an integer partition >= 0, and a timestamp of whole milliseconds from 0
 * to {@link MAX_TIMESTAMP}. Whether the topic exists and the partition is in range is for the adapter to say.
 */
export function checkOutgoing(records: unknown): asserts records is OutgoingRecord[] {
  if (!Array.isArray(records)) throw invalid('send expects an array of records', { field: 'records' });
  let checkedTopic: unknown;
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as Partial<OutgoingRecord> | null;
    const bad = (field: string, message: string, value?: unknown) =>
      invalid(`record ${index}: ${message}`, { index, field, value });
    if (typeof record !== 'object' || record === null) throw bad('record', 'must be an object');
    if (record.topic !== checkedTopic) {
      if (!isTopicName(record.topic)) throw bad('topic', 'topic must be a valid topic name', record.topic);
      checkedTopic = record.topic;
    }
    const { key, value, partition, timestamp, headers } = record;
    if (key !== undefined && key !== null && !(key instanceof Uint8Array)) {
      throw bad('key', 'key must be a Buffer (Uint8Array) or null');
    }
    if (value === undefined) throw bad('value', 'value is required (null for a tombstone)');
    if (value !== null && !(value instanceof Uint8Array)) throw bad('value', 'value must be a Buffer (Uint8Array) or null');
    if (partition !== undefined && !isIntegerAtLeast(partition, 0)) {
      throw bad('partition', 'partition must be an integer >= 0', partition);
    }
    if (timestamp !== undefined && !(isIntegerAtLeast(timestamp, 0) && timestamp <= MAX_TIMESTAMP)) {
      throw bad('timestamp', `timestamp must be whole milliseconds since the epoch, 0 to ${MAX_TIMESTAMP}`, timestamp);
    }
    if (headers !== undefined) {
      if (!isPlainObject(headers)) throw bad('headers', 'headers must be an object of strings');
      for (const name in headers) {
        if (typeof headers[name] !== 'string') throw bad(`headers.${name}`, `header ${JSON.stringify(name)} must be a string`);
      }
    }
  }
}

/** Checks a topic and partition argument (`commit`, `seek`, `pause`, `resume`, `read`); `what` names the call. */
export function checkTopicPartition(tp: unknown, what: string): asserts tp is TopicPartition {
  if (!isPlainObject(tp)) throw invalid(`${what}: expected { topic, partition }`, { what });
  if (!isTopicName(tp.topic)) throw invalid(`${what}: topic must be a valid topic name`, { what, field: 'topic' });
  if (!isIntegerAtLeast(tp.partition, 0)) {
    throw invalid(`${what}: partition must be an integer >= 0`, { what, field: 'partition', value: tp.partition });
  }
}

/** Checks a position argument (`commit`, `seek`, `read`). */
export function checkPosition(position: unknown, what: string): asserts position is RecordPosition {
  checkTopicPartition(position, what);
  const { offset } = position as RecordPosition;
  if (!isIntegerAtLeast(offset, 0)) throw invalid(`${what}: offset must be an integer >= 0`, { what, field: 'offset' });
}

/** Checks an array argument of positions or partitions. */
export function checkList(list: unknown, what: string): asserts list is unknown[] {
  if (!Array.isArray(list)) throw invalid(`${what} expects an array`, { what });
}

/** Checks `Admin.read`'s limit: an integer >= 1. */
export function checkReadLimit(limit: unknown): asserts limit is number {
  if (!isIntegerAtLeast(limit, 1)) throw invalid('limit must be an integer >= 1', { field: 'limit', value: limit });
}

/** Consumer options after validation, with the port's defaults applied and duplicate topics removed. */
export interface ResolvedConsumerOptions {
  group: string;
  topics: string[];
  startAt: 'earliest' | 'latest';
  maxBatchSize: number;
  sessionTimeoutMs: number;
  clientId: string | undefined;
  assignment: AssignmentStrategy;
  isolation: Isolation;
  transactionalId: string | undefined;
  transactionTimeoutMs: number;
  transactionIntervalMs: number | undefined;
}

function isIsolation(value: unknown): value is Isolation {
  return value === 'read_committed' || value === 'read_uncommitted';
}

/**
 * Checks consumer options and applies the defaults the port documents (`startAt` earliest, batches of 500, a
 * 10 s session, `spread` assignment, `read_committed`, 10 s transactions).
 * @throws HeraldError `HERALD_INVALID_ARGUMENT` naming the offending field in `details.field`.
 */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  const bad = (message: string, field: string) => invalid(`consumer options: ${message}`, { field });
  if (!isPlainObject(options)) throw bad('expected an object', 'options');
  const { group, topics } = options;
  if (typeof group !== 'string' || group.length === 0 || group.length > 255) {
    throw bad('group must be a non-empty string of at most 255 characters', 'group');
  }
  if (!Array.isArray(topics) || topics.length === 0 || !topics.every(isTopicName)) {
    throw bad('topics must be a non-empty list of valid topic names', 'topics');
  }
  const startAt = options.startAt ?? 'earliest';
  if (startAt !== 'earliest' && startAt !== 'latest') throw bad('startAt must be earliest or latest', 'startAt');
  const maxBatchSize = options.maxBatchSize ?? 500;
  if (!isIntegerAtLeast(maxBatchSize, 1)) throw bad('maxBatchSize must be an integer >= 1', 'maxBatchSize');
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
  if (!isIntegerAtLeast(sessionTimeoutMs, 1)) throw bad('sessionTimeoutMs must be an integer >= 1', 'sessionTimeoutMs');
  if (options.clientId !== undefined && (typeof options.clientId !== 'string' || !/^\S+$/.test(options.clientId))) {
    throw bad('clientId must be a non-empty string without spaces', 'clientId');
  }
  const assignment = options.assignment ?? 'spread';
  if (assignment !== 'spread' && assignment !== 'co-partitioned') {
    throw bad('assignment must be spread or co-partitioned', 'assignment');
  }
  const isolation = options.isolation ?? 'read_committed';
  if (!isIsolation(isolation)) throw bad('isolation must be read_committed or read_uncommitted', 'isolation');
  const { transactionalId } = options;
  if (transactionalId !== undefined && (typeof transactionalId !== 'string' || !/^\S{1,200}$/.test(transactionalId))) {
    throw bad('transactionalId must be 1-200 characters without spaces', 'transactionalId');
  }
  const transactionTimeoutMs = options.transactionTimeoutMs ?? 10_000;
  if (!isIntegerAtLeast(transactionTimeoutMs, 1)) {
    throw bad('transactionTimeoutMs must be an integer >= 1', 'transactionTimeoutMs');
  }
  const { transactionIntervalMs } = options;
  if (transactionIntervalMs !== undefined && !(isIntegerAtLeast(transactionIntervalMs, 0) && transactionIntervalMs <= 60_000)) {
    throw bad('transactionIntervalMs must be an integer from 0 to 60000', 'transactionIntervalMs');
  }
  return {
    group,
    topics: [...new Set(topics)],
    startAt,
    maxBatchSize,
    sessionTimeoutMs,
    clientId: options.clientId,
    assignment,
    isolation,
    transactionalId,
    transactionTimeoutMs,
    transactionIntervalMs,
  };
}

/**
 * Checks the options of `Admin.endOffsets` and returns the isolation (default `'read_committed'`).
 * @throws HeraldError `HERALD_INVALID_ARGUMENT` naming the field.
 */
export function checkEndOffsetsOptions(options: EndOffsetsOptions | undefined): Isolation {
  if (options === undefined) return 'read_committed';
  if (!isPlainObject(options)) throw invalid('endOffsets: options must be an object', { field: 'options' });
  const isolation = options.isolation ?? 'read_committed';
  if (!isIsolation(isolation)) {
    throw invalid('endOffsets: isolation must be read_committed or read_uncommitted', { field: 'isolation', value: isolation });
  }
  return isolation;
}

/**
 * The co-partitioning rule: topics a member owns partition *p* of together (`'co-partitioned'` assignment, a
 * processor's inputs and its table, a join) must have the same partition count.
 * @throws HeraldError `HERALD_COPARTITION_MISMATCH` with `details.partitions` = each topic's count.
 */
export function checkCoPartitioned(group: string, counts: ReadonlyMap<string, number>): void {
  if (new Set(counts.values()).size <= 1) return;
  const partitions = Object.fromEntries(counts);
  const list = [...counts].map(([topic, n]) => `${topic}: ${n}`).join(', ');
  throw new HeraldError(
    'HERALD_COPARTITION_MISMATCH',
    `group ${group}: co-partitioned topics must have the same number of partitions (${list})`,
    { details: { group, partitions } },
  );
}

/** Tail reader options after validation, with the port's defaults applied. */
export interface ResolvedTailReaderOptions {
  from: RecordPosition[];
  maxBatchSize: number;
  clientId: string | undefined;
}

/**
 * Checks the options of `Broker.reader` and applies the defaults the port documents (no partitions, batches of 500).
 * @throws HeraldError `HERALD_INVALID_ARGUMENT` naming the offending field in `details.field`.
 */
export function resolveTailReaderOptions(options: TailReaderOptions | undefined): ResolvedTailReaderOptions {
  const bad = (message: string, field: string) => invalid(`reader options: ${message}`, { field });
  if (options === undefined) return { from: [], maxBatchSize: 500, clientId: undefined };
  if (!isPlainObject(options)) throw bad('expected an object', 'options');
  const { from = [], maxBatchSize = 500, clientId } = options;
  if (!isIntegerAtLeast(maxBatchSize, 1)) throw bad('maxBatchSize must be an integer >= 1', 'maxBatchSize');
  if (!Array.isArray(from)) throw bad('from must be an array of positions', 'from');
  for (const position of from) checkPosition(position, 'reader options: from');
  if (clientId !== undefined && (typeof clientId !== 'string' || !/^\S+$/.test(clientId))) {
    throw bad('clientId must be a non-empty string without spaces', 'clientId');
  }
  return { from: [...from], maxBatchSize, clientId };
}

/** Checks the listener handed to `TailReader.start`. */
export function checkTailListener(listener: unknown): asserts listener is TailListener {
  if (typeof listener !== 'object' || listener === null || typeof (listener as TailListener).onRecords !== 'function') {
    throw invalid('the listener needs an onRecords function', { field: 'listener' });
  }
}

/** Throws the failure that broke `chain`, if one did (see `CommitChain`): no later call of it is committed. */
export function checkChain(chain: CommitChain | undefined): void {
  if (chain !== undefined && chain.failure !== undefined) throw chain.failure;
}

/** Breaks `chain` with `err` (its first failure stays), before the call's rejection is delivered. */
export function breakChain(chain: CommitChain | undefined, err: unknown): void {
  if (chain !== undefined) chain.failure ??= err;
}
