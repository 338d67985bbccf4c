import type { FastifyInstance } from 'fastify';
import type { Broker, OutgoingRecord, Producer } from '../../broker/port.ts';
import { recordView } from './encoding.ts';

interface MessageInput {
  key?: string | null;
  value: unknown;
  headers?: Record<string, string>;
  partition?: number;
  timestamp?: number;
  /** `'base64'`: key and value are base64-encoded bytes. */
  encoding?: 'utf8' | 'base64';
}

const message = {
  type: 'object',
  required: ['value'],
  additionalProperties: false,
  properties: {
    key: { type: ['string', 'null'] },
    value: {},
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    partition: { type: 'integer', minimum: 0 },
    timestamp: { type: 'integer', minimum: 0 },
    encoding: { enum: ['utf8', 'base64'] },
  },
} as const;

const produceBody = { anyOf: [message, { type: 'array', minItems: 1, maxItems: 10_000, items: message }] } as const;

const readQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    partition: { type: 'integer', minimum: 0, default: 0 },
    offset: { type: 'integer', minimum: 0, default: 0 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const;

const params = { type: 'object', properties: { name: { type: 'string', minLength: 1 } } } as const;

function toBytes(value: unknown, encoding: MessageInput['encoding']): Buffer | null {
  if (value === null) return null;
  if (typeof value !== 'string') return Buffer.from(JSON.stringify(value));
  return Buffer.from(value, encoding === 'base64' ? 'base64' : 'utf8');
}

function toRecord(topic: string, input: MessageInput): OutgoingRecord {
  const record: OutgoingRecord = { topic, value: toBytes(input.value, input.encoding) };
  if (input.key !== undefined && input.key !== null) record.key = toBytes(input.key, input.encoding);
  if (input.headers) record.headers = input.headers;
  if (input.partition !== undefined) record.partition = input.partition;
  if (input.timestamp !== undefined) record.timestamp = input.timestamp;
  return record;
}

/**
 * `POST /admin/topics/{name}/messages` (one message or an array; a non-string value is sent as its JSON text) →
 * 201 `[{partition, offset}]` once durable. `GET …/messages?partition=&offset=&limit=` → records from that offset.
 */
export function registerMessageRoutes(app: FastifyInstance, broker: Broker): void {
  // Made on first use: routes are registered before the broker starts.
  let producer: Producer | undefined;

  app.post<{ Params: { name: string }; Body: MessageInput | MessageInput[] }>(
    '/topics/:name/messages',
    { schema: { params, body: produceBody } },
    async (request, reply) => {
      const inputs = Array.isArray(request.body) ? request.body : [request.body];
      producer ??= broker.producer();
      const positions = await producer.send(inputs.map((input) => toRecord(request.params.name, input)));
      return reply.status(201).send(positions.map(({ partition, offset }) => ({ partition, offset })));
    },
  );

  app.get<{ Params: { name: string }; Querystring: { partition: number; offset: number; limit: number } }>(
    '/topics/:name/messages',
    { schema: { params, querystring: readQuery } },
    async (request) => {
      const { partition, offset, limit } = request.query;
      const records = await broker.admin.read({ topic: request.params.name, partition, offset }, limit);
      return records.map(recordView);
    },
  );
}
