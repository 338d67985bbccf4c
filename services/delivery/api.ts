import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { HeraldError, isHeraldError } from '#herald';
import type { OutgoingRecord, Producer } from '#herald/broker';
import { withTimeout } from '#herald/kit';
import { type EventMeta, newEventId, type SourceEvent, sourceRecord } from './event.ts';
import type { StatusStore } from './status/store.ts';

export interface ApiOptions {
  producer: Producer;
  /** The source topic. */
  topic: string;
  status: StatusStore;
  logger: Logger;
  /** Most events in one batch. */
  batchMaxEvents: number;
  /** Largest payload, in bytes of its JSON. */
  maxPayloadBytes: number;
  /** A send the broker has not confirmed after this long answers 503. */
  publishTimeoutMs: number;
  /** What `GET /destinations` lists. */
  destinations: DestinationInfo[];
  /** Called with the number of events each successful publish made durable. */
  onAccepted?: (count: number) => void;
}

/** A destination as `GET /destinations` shows it (no URL or headers: they may hold credentials). */
export interface DestinationInfo {
  id: string;
  topic: string;
  groups: { transform: string; send: string };
  /** Where its failed events go; replay with `POST /admin/dlq/{topic}/replay`. */
  deadLetterTopics: { transform: string; send: string };
}

interface PublishBody {
  userId: string;
  payload: unknown;
}

const EVENT_SCHEMA = {
  type: 'object',
  required: ['userId', 'payload'],
  additionalProperties: false,
  properties: {
    // The key of every record of the event: a user's events stay in one partition, hence in order.
    userId: { type: 'string', minLength: 1, maxLength: 256, pattern: '\\S' },
    payload: {},
  },
} as const;

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/**
 * The ingest API.
 *
 * - `POST /publish` `{userId, payload}` → 202 `{"message": "received", "id"}` once the event is durable in the
 *   source topic.
 * - `POST /publish/batch` `[{userId, payload}, …]` (at most `batchMaxEvents`) →
 *   202 `{"message": "received", "ids"}`;
 *   every event is validated before any is written, and all are written in one send.
 * - `GET /events/{id}` → where the event stands at each destination.
 * - `GET /destinations` → the configured destinations with their topics, groups and dead-letter topics.
 *
 * Bad input is 400 (413 for a payload over `maxPayloadBytes`) with per-field details and nothing written; a broker
 * that is down, or does not confirm within `publishTimeoutMs`, is 503. After a 503 the events may still have been
 * written (the confirmation was lost, not necessarily the write): they are then delivered under the ids the client
 * never saw — at-least-once, never lost.
 */
export function registerDeliveryApi(app: FastifyInstance, options: ApiOptions): void {
  const publish = async (bodies: PublishBody[], correlationId: string) => {
    checkPayloadSizes(bodies, options.maxPayloadBytes, bodies.length > 1 || undefined);
    const now = Date.now();
    const receivedAt = new Date(now).toISOString();
    const events: SourceEvent[] = bodies.map((b) => ({
      id: newEventId(now),
      userId: b.userId,
      payload: b.payload,
      receivedAt,
    }));
    const records = events.map((e) => sourceRecord(options.topic, e, now, correlationId));
    await sendWithin(options.producer, records, options.publishTimeoutMs);
    options.onAccepted?.(events.length);
    const metas: EventMeta[] = events.map((e) => ({ id: e.id, userId: e.userId, receivedAtMs: now }));
    // The events are accepted whatever happens next; a status write that fails only delays their status showing.
    await options.status.accepted(metas).catch((err: unknown) => {
      options.logger.error({ err }, 'recording accepted events failed; their status appears once delivery starts');
    });
    return events.map((e) => e.id);
  };

  app.post<{ Body: PublishBody }>('/publish', { schema: { body: EVENT_SCHEMA } }, async (request, reply) => {
    const [id] = await publish([request.body], request.id);
    return reply.status(202).send({ message: 'received', id });
  });

  app.post<{ Body: PublishBody[] }>(
    '/publish/batch',
    { schema: { body: { type: 'array', minItems: 1, maxItems: options.batchMaxEvents, items: EVENT_SCHEMA } } },
    async (request, reply) => {
      const ids = await publish(request.body, request.id);
      return reply.status(202).send({ message: 'received', ids });
    },
  );

  app.get('/destinations', async () => options.destinations);

  app.get<{ Params: { id: string } }>(
    '/events/:id',
    {
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: UUID } } },
      },
    },
    async (request) => {
      const status = options.status.get(request.params.id);
      if (status === undefined) {
        throw new HeraldError('HERALD_NOT_FOUND', `no event ${request.params.id} (never accepted, or purged)`);
      }
      return status;
    },
  );
}

function checkPayloadSizes(bodies: PublishBody[], limit: number, indexed: true | undefined): void {
  const details: { field: string; message: string }[] = [];
  bodies.forEach((body, i) => {
    const size = Buffer.byteLength(JSON.stringify(body.payload) ?? '', 'utf8');
    if (size > limit) {
      details.push({ field: indexed ? `${i}.payload` : 'payload', message: `is ${size} bytes; the limit is ${limit}` });
    }
  });
  if (details.length > 0) {
    throw new HeraldError('HERALD_PAYLOAD_TOO_LARGE', `payload larger than ${limit} bytes`, { details });
  }
}

async function sendWithin(producer: Producer, records: OutgoingRecord[], timeoutMs: number): Promise<void> {
  try {
    await withTimeout(producer.send(records), timeoutMs, () => {
      throw new HeraldError('HERALD_BROKER_UNAVAILABLE', `the broker did not confirm the write within ${timeoutMs} ms`);
    });
  } catch (err) {
    if (isHeraldError(err) && err.code !== 'HERALD_INTERNAL') throw err;
    throw new HeraldError('HERALD_BROKER_UNAVAILABLE', 'the broker could not take the events', { cause: err });
  }
}
