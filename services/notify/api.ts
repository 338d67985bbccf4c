/**
 * `POST /api/v1/produce`: validates a notification request and appends it to its topic, answering 201 with the
 * record's position only once the broker holds it durably. Every problem with the request is reported at once,
 * field by field, and nothing is written unless the whole request is valid.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HeraldError, isHeraldError, toHeraldError } from '#herald';
import type { Admin, Producer } from '#herald/broker';
import { HEADER_VALUE_PATTERN } from '#herald/kit';
import { HEADERS } from '#herald/runtime';
import { PartitionCounts } from './partition-counts.ts';
import { E164, EMAIL, MAX_ID_LENGTH, type Notification, notificationCodec, REQUEST_ID_HEADER } from './topics.ts';

/** The request body. */
export interface ProduceRequest extends Notification {
  topic_name: string;
  /** Partition by this key (Kafka's murmur2), unless `partition` is given; stored as the record key either way. */
  key?: string;
  /** Exactly this partition. */
  partition?: number;
}

/** The 201 answer: where the record now durably is. */
export interface ProduceResponse {
  request_id: string;
  topic: string;
  partition: number;
  offset: number;
}

/** One field's problem, as in the error envelope's `details`. */
export interface FieldError {
  field: string;
  message: string;
}

const id = { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH } as const;

/** JSON schema of the body. Unknown fields are refused so a misspelt `partiton` is not silently ignored. */
export const produceBodySchema = {
  type: 'object',
  required: ['request_id', 'topic_name', 'message_body', 'transaction_id', 'email', 'phone', 'customer_id'],
  additionalProperties: false,
  properties: {
    // The SMS channel sends it as the Idempotency-Key header: only what a header carries unchanged.
    request_id: { ...id, pattern: HEADER_VALUE_PATTERN },
    topic_name: { type: 'string', minLength: 1, maxLength: 249 },
    message_body: { type: 'string' },
    transaction_id: id,
    email: { type: 'string', maxLength: 254, pattern: EMAIL },
    phone: { type: 'string', pattern: E164 },
    customer_id: id,
    key: id,
    partition: { type: 'integer', minimum: 0, maximum: 2_147_483_647 },
  },
} as const;

const responseSchema = {
  type: 'object',
  properties: {
    request_id: { type: 'string' },
    topic: { type: 'string' },
    partition: { type: 'integer' },
    offset: { type: 'integer' },
  },
} as const;

/** Clearer words than "must match pattern …" for the patterned fields. */
const PATTERN_MESSAGES: Record<string, string> = {
  request_id:
    'must be printable ASCII without control characters or spaces at either end (it is sent as an Idempotency-Key header)',
  email: 'must be an email address',
  phone: 'must be an E.164 phone number: + then up to 15 digits, e.g. +14155550123',
};

/** What the produce route needs: the topics it serves, its body limit and the broker. */
export interface ProduceRouteOptions {
  /** Topics this API writes to; any other `topic_name` is refused. */
  topics: readonly string[];
  /** Largest `message_body`, in UTF-8 bytes. */
  maxMessageBytes: number;
  /** The producer; resolved per request because it exists only once the service has started. */
  producer: () => Producer;
  admin: Admin;
}

/** Registers `POST /api/v1/produce`. */
export function registerProduceRoute(app: FastifyInstance, options: ProduceRouteOptions): void {
  const allowed = new Set(options.topics);
  const partitions = new PartitionCounts(options.admin);
  app.post<{ Body: ProduceRequest }>(
    '/api/v1/produce',
    { schema: { body: produceBodySchema, response: { 201: responseSchema } }, attachValidation: true },
    async (request, reply) => {
      const errors = schemaErrors(request);
      const body = request.body ?? ({} as ProduceRequest);
      let tooLarge = false;
      if (typeof body.topic_name === 'string' && body.topic_name !== '' && !allowed.has(body.topic_name)) {
        errors.push({
          field: 'topic_name',
          message: `is not a notification topic (allowed: ${[...allowed].join(', ')})`,
        });
      } else if (allowed.has(body.topic_name) && Number.isInteger(body.partition)) {
        const count = await partitions.check(body.topic_name, body.partition!);
        if (count !== undefined) {
          errors.push({ field: 'partition', message: `must be below ${count}, the partitions of ${body.topic_name}` });
        }
      }
      if (typeof body.message_body === 'string' && Buffer.byteLength(body.message_body) > options.maxMessageBytes) {
        errors.push({ field: 'message_body', message: `must be at most ${options.maxMessageBytes} bytes (UTF-8)` });
        tooLarge = errors.length === 1;
      }
      if (errors.length > 0) {
        const code = tooLarge ? 'HERALD_PAYLOAD_TOO_LARGE' : 'HERALD_VALIDATION_FAILED';
        throw new HeraldError(code, 'the request failed validation', { details: errors });
      }
      const position = await produce(options.producer(), body);
      return reply.status(201).send({
        request_id: body.request_id,
        topic: position.topic,
        partition: position.partition,
        offset: position.offset,
      } satisfies ProduceResponse);
    },
  );
}

function schemaErrors(request: FastifyRequest): FieldError[] {
  if (!request.validationError) return [];
  const herald = toHeraldError(request.validationError);
  const details = Array.isArray(herald.details) ? (herald.details as FieldError[]) : [];
  if (details.length === 0) throw herald;
  return details.map((d) =>
    PATTERN_MESSAGES[d.field] && d.message.startsWith('must match pattern')
      ? { field: d.field, message: PATTERN_MESSAGES[d.field] }
      : d,
  );
}

async function produce(producer: Producer, body: ProduceRequest) {
  const value: Notification = {
    request_id: body.request_id,
    transaction_id: body.transaction_id,
    message_body: body.message_body,
    email: body.email,
    phone: body.phone,
    customer_id: body.customer_id,
  };
  try {
    const [position] = await producer.send([
      {
        topic: body.topic_name,
        key: body.key === undefined ? null : Buffer.from(body.key),
        value: notificationCodec.encode(value),
        // The request id is the notification's event id too: its traces are found by it.
        headers: { [REQUEST_ID_HEADER]: body.request_id, [HEADERS.eventId]: body.request_id },
        ...(body.partition === undefined ? {} : { partition: body.partition }),
      },
    ]);
    return position;
  } catch (err) {
    // The broker has the last word on topics and partitions (a topic deleted or shrunk since the checks above).
    if (isHeraldError(err, 'HERALD_PARTITION_OUT_OF_RANGE')) {
      throw new HeraldError('HERALD_VALIDATION_FAILED', err.message, {
        cause: err,
        details: [{ field: 'partition', message: 'is not a partition of the topic' }],
      });
    }
    if (isHeraldError(err, 'HERALD_TOPIC_NOT_FOUND')) {
      throw new HeraldError('HERALD_TOPIC_NOT_FOUND', err.message, {
        cause: err,
        details: [{ field: 'topic_name', message: 'does not exist' }],
      });
    }
    throw err;
  }
}
