import { HeraldError } from '#herald';
import { HEADER_NAME, isHeaderValue } from '#herald/kit';
import type { OutgoingRecord } from '#herald/broker';
import { type Handler, HEADERS, type Message, publish } from '#herald/runtime';
import type { DestinationConfig } from '../config.ts';
import { decodeSourceEvent, EVENT_HEADERS, eventMeta } from '../event.ts';
import { defaultTransform, encodeBody, type Transform, type Transformed } from '../transforms.ts';

/**
 * The transformer of one destination: reads the source topic (its own consumer group) and writes each event, as
 * the destination's transform makes it, to the destination topic, keyed by userId. The runtime runs a user's
 * events one at a time in order, and each write is durable before the next of that user starts, so the
 * destination topic holds every user's events in the order they were accepted.
 *
 * A transform that throws dead-letters the event for this destination only. A transform returning `null` filters
 * the event out for this destination: nothing is written and `onFiltered` records it (as delivered, 0 attempts).
 */
export function transformHandler(
  destination: DestinationConfig,
  topic: string,
  transform: Transform,
  onFiltered: (message: Message<Buffer | null>) => Promise<void>,
): Handler<Buffer | null> {
  return async (message) => {
    const meta = eventMeta(message.record);
    const headers: Record<string, string> = {
      [EVENT_HEADERS.eventId]: meta.id,
      [EVENT_HEADERS.receivedAt]: String(meta.receivedAtMs),
    };
    // A replayed event stays marked as one downstream, so its sender delivers it even where it is recorded dead.
    const replays = message.headers[HEADERS.replayCount];
    if (replays !== undefined) headers[HEADERS.replayCount] = replays;
    let body: Buffer;
    if (transform === defaultTransform && message.record.value !== null) {
      // The source value is already the default body, byte for byte: forward it without parsing.
      body = message.record.value;
      headers[EVENT_HEADERS.contentType] = 'application/json';
    } else {
      const event = decodeSourceEvent(message.record.value);
      let result: ReturnType<Transform>;
      try {
        result = transform(event, destination);
      } catch (err) {
        throw new HeraldError(
          'HERALD_HANDLER_FAILED',
          `transform for ${destination.id} failed: ${(err as Error).message}`,
          {
            cause: err,
            retriable: false,
          },
        );
      }
      if (result === null) return onFiltered(message);
      checkHeaders(result, destination.id);
      const encoded = encodeBody(result);
      body = encoded.body;
      headers[EVENT_HEADERS.contentType] = encoded.contentType;
      for (const [name, value] of Object.entries(result.headers ?? {})) {
        headers[`${EVENT_HEADERS.httpHeaderPrefix}${name.toLowerCase()}`] = value;
      }
    }
    const record: OutgoingRecord = { topic, key: message.record.key, value: body, headers };
    await publish(message.runtime.producer, [record]);
  };
}

/**
 * A transform's headers and content type must be sendable: caught here, the event is dead-lettered for this
 * destination at once, rather than failing every attempt of the sender.
 */
function checkHeaders(result: Transformed, destinationId: string): void {
  const bad = Object.entries({ ...result.headers, ...(result.contentType === undefined ? {} : { 'content-type': result.contentType }) })
    .filter(([name, value]) => !HEADER_NAME.test(name) || !isHeaderValue(value))
    .map(([name]) => JSON.stringify(name));
  if (bad.length > 0) {
    throw new HeraldError(
      'HERALD_HANDLER_FAILED',
      `transform for ${destinationId} made headers no HTTP request can carry: ${bad.join(', ')}`,
      { retriable: false },
    );
  }
}
