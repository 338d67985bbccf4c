import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../../admin/api.ts';

const groupParam = { type: 'object', properties: { group: { type: 'string', minLength: 1 } } } as const;

const recordsQuery = {
  type: 'object',
  required: ['topic'],
  additionalProperties: false,
  properties: {
    topic: { type: 'string', minLength: 1, description: 'the topic to consume' },
    limit: { type: 'integer', minimum: 1, description: 'stop after this many records (default: no limit)' },
    follow: { type: 'boolean', default: false, description: 'keep the response open for new records' },
  },
} as const;

/**
 * `GET /admin/groups` (each group with its member count and total lag), `GET /admin/groups/{group}`, and
 * `GET /admin/groups/{group}/records?topic=&limit=&follow=`: joins the group as a member and streams the records it
 * is given as JSON lines (`application/x-ndjson`), committing them as they are written; without `follow` the
 * response ends once the member's partitions are read to their end, and a client closing it leaves the group.
 */
export function registerGroupRoutes(app: FastifyInstance, admin: AdminApi): void {
  app.get('/groups', { schema: { summary: 'consumer groups' } }, async () => admin.listGroups());

  app.get<{ Params: { group: string } }>(
    '/groups/:group',
    { schema: { summary: 'members, committed offsets and lag of a group', params: groupParam } }, async (request) =>
    admin.describeGroup(request.params.group),
  );

  app.get<{ Params: { group: string }; Querystring: { topic: string; limit?: number; follow: boolean } }>(
    '/groups/:group/records',
    { schema: { summary: 'consume as a group member: JSON lines, committed as sent', params: groupParam, querystring: recordsQuery } },
    async (request, reply) => {
      const { topic, limit, follow } = request.query;
      const closed = new AbortController();
      reply.raw.once('close', () => closed.abort());
      const records = admin.groupRecords({ group: request.params.group, topic, limit, follow, signal: closed.signal });
      async function* lines() {
        for await (const record of records) yield `${JSON.stringify(record)}\n`;
      }
      return reply.type('application/x-ndjson').send(Readable.from(lines()));
    },
  );
}
