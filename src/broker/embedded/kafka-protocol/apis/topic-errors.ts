import { isTopicName } from '../../../rules.ts';
import { KafkaError, type KafkaErrorCode } from '../wire/errors.ts';
import { HeraldError } from '../../../../errors.ts';

/** The Kafka error code for a failure of the embedded broker (a HeraldError or anything else). */
export function kafkaCodeOf(err: unknown): KafkaErrorCode {
  if (!(err instanceof HeraldError)) return KafkaError.UNKNOWN_SERVER_ERROR;
  switch (err.code) {
    case 'HERALD_TOPIC_NOT_FOUND':
    case 'HERALD_PARTITION_OUT_OF_RANGE':
      return KafkaError.UNKNOWN_TOPIC_OR_PARTITION;
    case 'HERALD_TOPIC_EXISTS':
      return KafkaError.TOPIC_ALREADY_EXISTS;
    case 'HERALD_INVALID_ARGUMENT':
      return KafkaError.INVALID_REQUEST;
    case 'HERALD_STORAGE_FAILED':
      return KafkaError.KAFKA_STORAGE_ERROR;
    case 'HERALD_BROKER_CLOSED':
    case 'HERALD_BROKER_UNAVAILABLE':
      // Retriable for clients: they look the leader up again, and find it when the broker is back.
      return KafkaError.NOT_LEADER_OR_FOLLOWER;
    default:
      return KafkaError.UNKNOWN_SERVER_ERROR;
  }
}

/** UNKNOWN_TOPIC_OR_PARTITION for a possible name, INVALID_TOPIC_EXCEPTION for one no topic can have. */
export function missingTopicCode(name: string | null): KafkaErrorCode {
  return name !== null && isTopicName(name) ? KafkaError.UNKNOWN_TOPIC_OR_PARTITION : KafkaError.INVALID_TOPIC_EXCEPTION;
}
