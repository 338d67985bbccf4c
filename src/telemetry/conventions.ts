import { type Span, SpanStatusCode } from '@opentelemetry/api';
import type { Headers } from '../broker/port.ts';

/** The record header naming the event a record carries, when its producer gave it an id (a span attribute too). */
export const EVENT_ID_HEADER = 'herald-event-id';

/** The header an outbox record names its event by (the outbox's own name for it, which its consumers read). */
export const OUTBOX_EVENT_ID_HEADER = 'herald.event.id';

/** Keys longer than this are left out of span attributes. */
const MAX_KEY_BYTES = 256;

/** The messaging attributes a record's key and event id give a span (`messaging.kafka.message.key`, `messaging.message.id`). */
export function describeRecord(span: Span, key: Buffer | null | undefined, headers: Headers | undefined): void {
  if (key !== null && key !== undefined && key.length <= MAX_KEY_BYTES) {
    span.setAttribute('messaging.kafka.message.key', key.toString());
  }
  const eventId = headers?.[EVENT_ID_HEADER] ?? headers?.[OUTBOX_EVENT_ID_HEADER];
  if (eventId !== undefined) span.setAttribute('messaging.message.id', eventId);
}

/** Marks a span failed with `error` (recorded as an exception event). */
export function failSpan(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
