import { HeraldError } from '#herald';
import type { BrokerRecord, OutgoingRecord } from '#herald/broker';
import { isHeaderValue, uuidv7 } from '#herald/kit';
import { HEADERS } from '#herald/runtime';

/** Record headers the pipeline carries alongside every event. */
export const EVENT_HEADERS = {
  /** The event id (also the destination's `Idempotency-Key`). */
  eventId: HEADERS.eventId,
  /** When the event was accepted, ms since the epoch. */
  receivedAt: 'herald-received-at',
  /** Content type of a destination record's body. */
  contentType: 'content-type',
  /** Prefix of extra HTTP headers a transform asked for (`http-header-x-api-version: 2`). */
  httpHeaderPrefix: 'http-header-',
} as const;

/** An accepted event, as the source topic stores it (and as the default transform delivers it). */
export interface SourceEvent {
  id: string;
  userId: string;
  payload: unknown;
  /** When Herald accepted it, ISO 8601. */
  receivedAt: string;
}

/** A new event id: a time-ordered UUID version 7, so ids sort by acceptance time and index well. */
export function newEventId(now = Date.now()): string {
  return uuidv7(now);
}

/**
 * The source-topic record of an event: keyed by userId, the event as JSON, id and time also in headers, and the
 * publishing request's correlation id, which the runtime carries to every later record and log line of the event.
 */
export function sourceRecord(
  topic: string,
  event: SourceEvent,
  receivedAtMs: number,
  correlationId?: string,
): OutgoingRecord {
  const headers: Record<string, string> = { [EVENT_HEADERS.eventId]: event.id, [EVENT_HEADERS.receivedAt]: String(receivedAtMs) };
  if (correlationId !== undefined) headers[HEADERS.correlationId] = correlationId;
  return {
    topic,
    key: Buffer.from(event.userId, 'utf8'),
    value: Buffer.from(JSON.stringify(event), 'utf8'),
    headers,
    timestamp: receivedAtMs,
  };
}

/** What every pipeline record says about its event, read from headers and key without parsing the value. */
export interface EventMeta {
  id: string;
  userId: string;
  receivedAtMs: number;
}

/** Longest event id a pipeline record may carry (Herald's own are 36-character UUIDs). */
const MAX_EVENT_ID_LENGTH = 256;

/**
 * @throws HeraldError `HERALD_DECODE_FAILED` (not retriable) when the record lacks the pipeline's headers or its
 * event id cannot be sent as a header.
 */
export function eventMeta(record: Pick<BrokerRecord, 'key' | 'headers' | 'timestamp'>): EventMeta {
  const id = record.headers[EVENT_HEADERS.eventId];
  if (!id || record.key === null) {
    throw new HeraldError('HERALD_DECODE_FAILED', `record has no ${EVENT_HEADERS.eventId} header or no key`);
  }
  // The id is every destination's Idempotency-Key: one no header can carry would fail every attempt.
  if (id.length > MAX_EVENT_ID_LENGTH || !isHeaderValue(id)) {
    throw new HeraldError(
      'HERALD_DECODE_FAILED',
      `${EVENT_HEADERS.eventId} must be printable ASCII of at most ${MAX_EVENT_ID_LENGTH} characters`,
    );
  }
  const receivedAtMs = Number(record.headers[EVENT_HEADERS.receivedAt]);
  return {
    id,
    userId: record.key.toString('utf8'),
    receivedAtMs: Number.isFinite(receivedAtMs) ? receivedAtMs : record.timestamp,
  };
}

/** @throws HeraldError `HERALD_DECODE_FAILED` when the value is not a source event. */
export function decodeSourceEvent(value: Buffer | null): SourceEvent {
  let event: Partial<SourceEvent> | undefined;
  try {
    event = value === null ? undefined : (JSON.parse(value.toString('utf8')) as Partial<SourceEvent>);
  } catch (err) {
    throw new HeraldError('HERALD_DECODE_FAILED', `source event is not JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof event?.id !== 'string' || typeof event.userId !== 'string' || typeof event.receivedAt !== 'string') {
    throw new HeraldError('HERALD_DECODE_FAILED', 'source event lacks id, userId or receivedAt');
  }
  return event as SourceEvent;
}
