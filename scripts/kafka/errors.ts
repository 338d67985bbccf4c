/**
 * Failures of the local-Kafka scripts. Each carries a stable code so tests and callers can tell them apart;
 * the message is one line a person can act on (what failed, what to do or where to look).
 */
export const KAFKA_SETUP_ERROR_CODES = [
  'KAFKA_JAVA_MISSING',
  'KAFKA_MAVEN_MISSING',
  'KAFKA_PROVISION_FAILED',
  'KAFKA_FORMAT_FAILED',
  'KAFKA_PORT_TAKEN',
  'KAFKA_NODE_EXITED',
  'KAFKA_START_TIMEOUT',
  'KAFKA_NOT_RUNNING',
  'KAFKA_LOCK_TIMEOUT',
  'KAFKA_BAD_ARGUMENT',
] as const;

/** One of {@link KAFKA_SETUP_ERROR_CODES}. */
export type KafkaSetupErrorCode = (typeof KAFKA_SETUP_ERROR_CODES)[number];

/** An expected failure of provisioning, starting or stopping local Kafka; `message` is a single line. */
export class KafkaSetupError extends Error {
  readonly code: KafkaSetupErrorCode;

  constructor(code: KafkaSetupErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaSetupError';
    this.code = code;
  }
}
