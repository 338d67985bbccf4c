import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../../admin/api.ts';
import { type MessageInput, toOutgoingRecord } from '../../admin/records.ts';

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

/**
 * `POST /admin/topics/{name}/messages` (one message or an array; a non-string value is sent as its JSON text) →
 * 201 `[{partition, offset}]` once durable. `GET …/messages?partition=&offset=&limit=` → records from that offset.
 */
export function registerMessageRoutes(app: FastifyInstance, admin: AdminApi): void {
  app.post<{ Params: { name: string }; Body: MessageInput | MessageInput[] }>(
    '/topics/:name/messages',
    { schema: { params, body: produceBody } },
    async (request, reply) => {
      const inputs = Array.isArray(request.body) ? request.body : [request.body];
      const positions = await admin.produce(inputs.map((input) => toOutgoingRecord(request.params.name, input)));
      return reply.status(201).send(positions);
    },
  );

  app.get<{ Params: { name: string }; Querystring: { partition: number; offset: number; limit: number } }>(
    '/topics/:name/messages',
    { schema: { params, querystring: readQuery } },
    async (request) => {
      const { partition, offset, limit } = request.query;
      return admin.read({ topic: request.params.name, partition, offset }, limit);
    },
  );
}
