import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../../admin/api.ts';
import { MAX_PAGE_BYTES } from '../../admin/pages.ts';
import { readStart } from '../../admin/positions.ts';
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

/** The query of a paged read, shared with the dead-letter listing. */
export const pageQuery = {
  offset: {
    type: 'string',
    description: 'where to start in each partition: beginning (default), end, an offset, -N (N before the end), @time',
  },
  cursor: { type: 'string', description: "a previous page's `next`: continue after it (not with offset)" },
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'most records in the page' },
  maxBytes: {
    type: 'integer',
    minimum: 1024,
    maximum: MAX_PAGE_BYTES,
    description: 'response byte budget (default 4 MiB); the page stops before it, with at least one record',
  },
} as const;

const readQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    partition: { type: 'integer', minimum: 0, description: 'only this partition (default: all, merged by time)' },
    key: { type: 'string', description: 'only records with this key (UTF-8)' },
    ...pageQuery,
  },
} as const;

interface ReadQuerystring {
  partition?: number;
  key?: string;
  offset?: string;
  cursor?: string;
  limit: number;
  maxBytes?: number;
}

const params = { type: 'object', properties: { name: { type: 'string', minLength: 1 } } } as const;

/**
 * `POST /admin/topics/{name}/messages` (one message or an array; a non-string value is sent as its JSON text) →
 * 201 `[{partition, offset}]` once durable. `GET …/messages?partition=&offset=&cursor=&limit=&maxBytes=` → a page
 * `{records, next, more, limitedBy?}` of one partition or all (merged by timestamp); `next` is the cursor of the
 * page after, bounded by count and bytes (a big record never makes a 5xx).
 */
export function registerMessageRoutes(app: FastifyInstance, admin: AdminApi): void {
  app.post<{ Params: { name: string }; Body: MessageInput | MessageInput[] }>(
    '/topics/:name/messages',
    { schema: { summary: 'produce one record or a list; answers once durable', params, body: produceBody } },
    async (request, reply) => {
      const inputs = Array.isArray(request.body) ? request.body : [request.body];
      const positions = await admin.produce(inputs.map((input) => toOutgoingRecord(request.params.name, input)));
      return reply.status(201).send(positions);
    },
  );

  app.get<{ Params: { name: string }; Querystring: ReadQuerystring }>(
    '/topics/:name/messages',
    { schema: { summary: 'a page of records: every partition merged by time unless one is named', params, querystring: readQuery } },
    async (request) => {
      const { partition, key, offset, cursor, limit, maxBytes } = request.query;
      return admin.read({ topic: request.params.name, partition, key, limit, maxBytes, ...readStart(offset, cursor) });
    },
  );
}
