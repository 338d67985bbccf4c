/**
 * Maps `@platformatic/kafka` failures to {@link HeraldError}s. The library reports broker error codes as
 * `ProtocolError`s (`apiId` = Kafka's error name), often nested in `MultipleErrors` (one per retry) or in a
 * `ResponseError` (one per failed partition); `findErrorBy` searches through all of them.
 */
import { findErrorBy } from '@platformatic/kafka';
import { type ErrorCode, HeraldError } from '../../errors.ts';

/**
 * Kafka error names with a Herald meaning, most specific first: when retries collected several errors, the first
 * name of this list found anywhere in them decides.
 */
const BY_KAFKA_ERROR: readonly (readonly [string, ErrorCode])[] = [
  ['TOPIC_ALREADY_EXISTS', 'HERALD_TOPIC_EXISTS'],
  ['UNKNOWN_TOPIC_OR_PARTITION', 'HERALD_TOPIC_NOT_FOUND'],
  ['UNKNOWN_TOPIC_ID', 'HERALD_TOPIC_NOT_FOUND'],
  ['GROUP_ID_NOT_FOUND', 'HERALD_GROUP_NOT_FOUND'],
  ['MESSAGE_TOO_LARGE', 'HERALD_PAYLOAD_TOO_LARGE'],
  ['RECORD_LIST_TOO_LARGE', 'HERALD_PAYLOAD_TOO_LARGE'],
  ['OFFSET_OUT_OF_RANGE', 'HERALD_OFFSET_OUT_OF_RANGE'],
  ['INVALID_PARTITIONS', 'HERALD_INVALID_ARGUMENT'],
  ['INVALID_REPLICATION_FACTOR', 'HERALD_INVALID_ARGUMENT'],
  ['INVALID_REPLICA_ASSIGNMENT', 'HERALD_INVALID_ARGUMENT'],
  ['INVALID_CONFIG', 'HERALD_INVALID_ARGUMENT'],
  ['INVALID_TOPIC_EXCEPTION', 'HERALD_INVALID_ARGUMENT'],
  ['POLICY_VIOLATION', 'HERALD_INVALID_ARGUMENT'],
  ['INVALID_TIMESTAMP', 'HERALD_INVALID_ARGUMENT'],
  ['INVALID_RECORD', 'HERALD_INVALID_ARGUMENT'],
  ['INVALID_REQUEST', 'HERALD_INVALID_ARGUMENT'],
  // A session timeout outside the broker's group.min/max.session.timeout.ms, or an unusable group id.
  ['INVALID_SESSION_TIMEOUT', 'HERALD_INVALID_ARGUMENT'],
  ['INVALID_GROUP_ID', 'HERALD_INVALID_ARGUMENT'],
  ['REBALANCE_IN_PROGRESS', 'HERALD_REBALANCE_IN_PROGRESS'],
  ['ILLEGAL_GENERATION', 'HERALD_REBALANCE_IN_PROGRESS'],
  ['UNKNOWN_MEMBER_ID', 'HERALD_REBALANCE_IN_PROGRESS'],
  ['FENCED_INSTANCE_ID', 'HERALD_REBALANCE_IN_PROGRESS'],
  ['SASL_AUTHENTICATION_FAILED', 'HERALD_UNAUTHORIZED'],
  ['UNSUPPORTED_SASL_MECHANISM', 'HERALD_UNAUTHORIZED'],
  ['ILLEGAL_SASL_STATE', 'HERALD_UNAUTHORIZED'],
  ['TOPIC_AUTHORIZATION_FAILED', 'HERALD_FORBIDDEN'],
  ['GROUP_AUTHORIZATION_FAILED', 'HERALD_FORBIDDEN'],
  ['CLUSTER_AUTHORIZATION_FAILED', 'HERALD_FORBIDDEN'],
  ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'HERALD_FORBIDDEN'],
  ['TOPIC_DELETION_DISABLED', 'HERALD_FORBIDDEN'],
];

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function has(err: Error, property: string, value: unknown): boolean {
  return findErrorBy(err, property, value) !== null;
}

/** The Herald code a library error stands for. Exported for the unit tests that pin the mapping. */
export function codeOf(err: unknown): ErrorCode {
  if (err instanceof HeraldError) return err.code;
  if (!(err instanceof Error)) return 'HERALD_INTERNAL';
  // A client used after close(), or closed while it was retrying.
  if (has(err, 'closed', true) || /^Client closed while retrying/.test(messageOf(err))) return 'HERALD_BROKER_CLOSED';
  for (const [kafkaError, code] of BY_KAFKA_ERROR) {
    if (has(err, 'apiId', kafkaError)) return code;
  }
  if (has(err, 'code', 'PLT_KFK_AUTHENTICATION')) return 'HERALD_UNAUTHORIZED';
  // Metadata requests turn UNKNOWN_TOPIC_OR_PARTITION into a plain user error naming the topic.
  if (/Unknown topic /.test(messageOf(err)) || (err instanceof AggregateError && err.errors.some(isUnknownTopic))) {
    return 'HERALD_TOPIC_NOT_FOUND';
  }
  // Connection refused/reset/timed out, and broker answers such as NOT_LEADER_OR_FOLLOWER or NOT_ENOUGH_REPLICAS
  // that the library retried until it gave up: the cluster is not (yet) able to serve, trying later may work.
  if (has(err, 'code', 'PLT_KFK_NETWORK') || has(err, 'canRetry', true)) return 'HERALD_BROKER_UNAVAILABLE';
  if (has(err, 'code', 'PLT_KFK_TIMEOUT')) return 'HERALD_BROKER_UNAVAILABLE';
  return 'HERALD_INTERNAL';
}

function isUnknownTopic(err: unknown): boolean {
  return /Unknown topic /.test(messageOf(err)) || (err instanceof AggregateError && err.errors.some(isUnknownTopic));
}

/**
 * `err` as a HeraldError: Herald errors pass through; anything else is wrapped with `cause` set to the original,
 * the message prefixed by what was being done (`"send to orders"`).
 */
export function toHeraldError(err: unknown, doing: string): HeraldError {
  if (err instanceof HeraldError) return err;
  const code = codeOf(err);
  return new HeraldError(code, `${doing}: ${describeError(err)}`, { cause: err });
}

/** A one-line description of a library error, including the nested errors that explain it. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err instanceof AggregateError && err.errors.length > 0) {
    const inner = [...new Set(err.errors.map(describeError))].join('; ');
    return `${err.message} (${inner})`;
  }
  return err.message;
}
