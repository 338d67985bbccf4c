import type { Headers, OutgoingRecord } from '../broker/port.ts';
import { HeraldError } from '../errors.ts';
import { uuidv7 } from '../kit/uuid.ts';
import { OUTBOX_EVENT_ID_HEADER } from '../telemetry/conventions.ts';
import { injectTraceContext } from '../telemetry/trace-context.ts';

/**
 * The transactional outbox's rows, shaped like Debezium's outbox table: an id in commit order, the aggregate type
 * (which names the topic), the aggregate id (the record key, so one aggregate's events stay in one partition, in
 * order), the event type, the payload and headers.
 */

/** Headers every outbox record carries (lower-case, dotted, as the runtime's own). */
export const OUTBOX_HEADERS = {
  /** A unique id per event (a UUID): what consumers deduplicate on. */
  eventId: OUTBOX_EVENT_ID_HEADER,
  /** The event type, e.g. `tasks.event.created`. */
  eventType: 'herald.event.type',
  /** The aggregate's version after this event (1, 2, …), when the writer gave one: consumers apply newer only. */
  aggregateVersion: 'herald.aggregate.version',
  /** When the transaction wrote the event, ms since the epoch. */
  occurredAt: 'herald.event.occurred-at',
} as const;

/** An event a service appends inside its database transaction. */
export interface OutboxMessage {
  /** Names the topic (through the relay's `route`, identity by default), e.g. `tasks`. */
  aggregateType: string;
  /** The record key: events of one aggregate are published in the order their transactions committed. */
  aggregateId: string;
  /** The event type, e.g. `tasks.event.created`. */
  type: string;
  /** The record value (`null`: a tombstone). */
  payload: Buffer | string | null;
  /** The aggregate's version after this event; published as the `herald.aggregate.version` header. */
  version?: number;
  /** More headers (e.g. the request's correlation id); Herald's own names above win. */
  headers?: Headers;
  /** The event id; default a new UUID (version 7: time-ordered). */
  id?: string;
}

/** An appended event, as the relay reads it back. */
export interface OutboxRow {
  /** Position in the outbox (a sequence); only the store's order (see `OutboxReader.fetch`) is meaningful. */
  id: number;
  eventId: string;
  aggregateType: string;
  aggregateId: string;
  type: string;
  payload: Buffer | null;
  /** Every header the record will carry, Herald's included. */
  headers: Headers;
  /** When it was appended, ms since the epoch (the writer's clock). */
  createdAt: number;
}

/** What a store writes for one message: checked, with its id and full headers. */
export interface PreparedMessage {
  eventId: string;
  aggregateType: string;
  aggregateId: string;
  type: string;
  payload: Buffer | null;
  version: number | null;
  headers: Headers;
  createdAt: number;
}

/**
 * Checks a message and completes it (event id, Herald's headers, time).
 * @throws HeraldError `HERALD_INVALID_ARGUMENT` for an empty aggregate type, id or type, or a version that is not
 *   a positive integer — before anything is written, so the transaction can roll back.
 */
export function prepareMessage(message: OutboxMessage, now = Date.now()): PreparedMessage {
  for (const field of ['aggregateType', 'aggregateId', 'type'] as const) {
    if (typeof message[field] !== 'string' || message[field] === '') {
      throw new HeraldError('HERALD_INVALID_ARGUMENT', `outbox message: ${field} must be a non-empty string`);
    }
  }
  const { version } = message;
  if (version !== undefined && !(Number.isSafeInteger(version) && version > 0)) {
    throw new HeraldError('HERALD_INVALID_ARGUMENT', `outbox message: version must be a positive integer, not ${version}`);
  }
  const eventId = message.id ?? uuidv7(now);
  // The trace of the request that wrote the event: the relay's send continues it, however much later it runs.
  const headers: Headers = injectTraceContext({
    ...message.headers,
    [OUTBOX_HEADERS.eventId]: eventId,
    [OUTBOX_HEADERS.eventType]: message.type,
    [OUTBOX_HEADERS.occurredAt]: String(now),
  });
  if (version !== undefined) headers[OUTBOX_HEADERS.aggregateVersion] = String(version);
  const payload = typeof message.payload === 'string' ? Buffer.from(message.payload, 'utf8') : message.payload;
  return {
    eventId,
    aggregateType: message.aggregateType,
    aggregateId: message.aggregateId,
    type: message.type,
    payload,
    version: version ?? null,
    headers,
    createdAt: now,
  };
}

/** The record a row becomes: topic from the aggregate type, key = aggregate id, the row's headers and time. */
export function toRecord(row: OutboxRow, route: (aggregateType: string) => string): OutgoingRecord {
  return {
    topic: route(row.aggregateType),
    key: Buffer.from(row.aggregateId, 'utf8'),
    value: row.payload,
    headers: row.headers,
    timestamp: row.createdAt,
  };
}
