import { EVENT_ID_HEADER } from '../telemetry/conventions.ts';

/** Record headers the runtime reads and writes. Names are lower-case, as Kafka tooling shows them. */
export const HEADERS = {
  /** Ties the records, logs and spans of one request together; kept across emits, retries and dead letters. */
  correlationId: 'herald.correlation-id',
  /** Accepted as a correlation id when `herald.correlation-id` is absent (what HTTP proxies set). */
  requestId: 'x-request-id',
  /** The id of the event a record carries, when its producer gave it one: spans show it, and traces are found by it. */
  eventId: EVENT_ID_HEADER,
  /** W3C trace context. */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** How many times a dead letter of this record was replayed; increases with every replay (loop detection). */
  replayCount: 'herald.replay.count',
  /** `topic/partition/offset` of the dead letter a replayed record came from. */
  replayedFrom: 'herald.replay.from',
} as const;

/** Prefix of the headers a dead letter carries about its origin and failure (see `dlq/envelope.ts`). */
export const DLQ_HEADER_PREFIX = 'herald.dlq.';
