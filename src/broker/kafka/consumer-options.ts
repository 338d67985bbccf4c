/**
 * Validation and defaults of {@link ConsumerOptions}, and the group timings derived from them.
 */
import { HeraldError } from '../../errors.ts';
import type { ConsumerOptions } from '../broker.ts';
import { isTopicName } from './records.ts';

/** Consumer options after validation, with every default applied. */
export interface ResolvedConsumerOptions {
  group: string;
  topics: string[];
  startAt: 'earliest' | 'latest';
  maxBatchSize: number;
  sessionTimeoutMs: number;
  /** How often the member tells the coordinator it is alive: a third of the session, at most 3 s. */
  heartbeatIntervalMs: number;
  /** How long the coordinator waits for members to rejoin during a rebalance (and for `onRevoked`). */
  rebalanceTimeoutMs: number;
  clientId: string | undefined;
}

function bad(message: string, field: string): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', `consumer options: ${message}`, { details: { field } });
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

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
  return {
    group,
    topics: [...new Set(topics)],
    startAt,
    maxBatchSize,
    sessionTimeoutMs,
    heartbeatIntervalMs: Math.max(100, Math.min(3_000, Math.floor(sessionTimeoutMs / 3))),
    rebalanceTimeoutMs: Math.max(sessionTimeoutMs, 30_000),
    clientId: options.clientId,
  };
}
