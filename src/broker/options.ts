/**
 * Rules of the port that every broker applies the same way: valid topic names (Kafka's) and the defaults and
 * checks of {@link ConsumerOptions}.
 */
import { HeraldError } from '../errors.ts';
import type { AssignmentStrategy, ConsumerOptions, EndOffsetsOptions, Isolation } from './broker.ts';

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's topic-name rule: 1–249 of `[a-zA-Z0-9._-]`, and not `.` or `..`. */
export function isTopicName(name: unknown): name is string {
  return typeof name === 'string' && TOPIC_NAME.test(name) && name !== '.' && name !== '..';
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
}

function bad(message: string, field: string): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', `consumer options: ${message}`, { details: { field } });
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/**
 * Checks consumer options and applies the defaults the port documents (`startAt` earliest, batches of 500, a
 * 10 s session, `spread` assignment, `read_committed`, 10 s transactions).
 * @throws HeraldError `HERALD_INVALID_ARGUMENT` naming the offending field in `details.field`.
 */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  if (typeof options !== 'object' || options === null) throw bad('expected an object', 'options');
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
  if (!isPositiveInteger(maxBatchSize)) throw bad('maxBatchSize must be an integer >= 1', 'maxBatchSize');
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
  if (!isPositiveInteger(sessionTimeoutMs)) throw bad('sessionTimeoutMs must be an integer >= 1', 'sessionTimeoutMs');
  if (options.clientId !== undefined && (typeof options.clientId !== 'string' || !/^\S+$/.test(options.clientId))) {
    throw bad('clientId must be a non-empty string without spaces', 'clientId');
  }
  const assignment = options.assignment ?? 'spread';
  if (assignment !== 'spread' && assignment !== 'co-partitioned') {
    throw bad('assignment must be spread or co-partitioned', 'assignment');
  }
  const isolation = options.isolation ?? 'read_committed';
  if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') {
    throw bad('isolation must be read_committed or read_uncommitted', 'isolation');
  }
  const { transactionalId } = options;
  if (transactionalId !== undefined && (typeof transactionalId !== 'string' || !/^\S{1,200}$/.test(transactionalId))) {
    throw bad('transactionalId must be 1-200 characters without spaces', 'transactionalId');
  }
  const transactionTimeoutMs = options.transactionTimeoutMs ?? 10_000;
  if (!isPositiveInteger(transactionTimeoutMs)) {
    throw bad('transactionTimeoutMs must be an integer >= 1', 'transactionTimeoutMs');
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
  };
}

/**
 * Checks the options of `Admin.endOffsets` and returns the isolation (default `'read_committed'`).
 * @throws HeraldError `HERALD_INVALID_ARGUMENT`.
 */
export function checkIsolation(options: EndOffsetsOptions | undefined): Isolation {
  if (options === undefined) return 'read_committed';
  if (typeof options !== 'object' || options === null) {
    throw new HeraldError('HERALD_INVALID_ARGUMENT', 'endOffsets: options must be an object');
  }
  const isolation = options.isolation ?? 'read_committed';
  if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') {
    throw new HeraldError('HERALD_INVALID_ARGUMENT', 'endOffsets: isolation must be read_committed or read_uncommitted', {
      details: { field: 'isolation' },
    });
  }
  return isolation;
}
