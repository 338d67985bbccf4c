import type { FastifyInstance } from 'fastify';
import type { Broker, TopicSpec } from '../../broker/port.ts';

const nameParam = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1 } },
} as const;

const createBody = {
  type: 'object',
  required: ['name', 'partitions'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 249 },
    partitions: { type: 'integer', minimum: 1, maximum: 10_000 },
    compacted: { type: 'boolean' },
    replicationFactor: { type: 'integer', minimum: 1 },
    retentionMs: { type: 'integer', minimum: 1 },
    retentionBytes: { type: 'integer', minimum: 1 },
    configs: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

/** `POST /admin/topics`, `GET /admin/topics`, `GET|DELETE /admin/topics/{name}`. */
export function registerTopicRoutes(app: FastifyInstance, broker: Broker): void {
  app.post<{ Body: TopicSpec }>('/topics', { schema: { body: createBody } }, async (request, reply) => {
    await broker.admin.createTopic(request.body);
    return reply.status(201).send(await broker.admin.describeTopic(request.body.name));
  });

  app.get('/topics', async () => {
    const topics = await broker.admin.listTopics();
    return topics.sort((a, b) => a.name.localeCompare(b.name));
  });

  app.get<{ Params: { name: string } }>('/topics/:name', { schema: { params: nameParam } }, async (request) =>
    broker.admin.describeTopic(request.params.name),
  );

  app.delete<{ Params: { name: string } }>(
    '/topics/:name',
    { schema: { params: nameParam } },
    async (request, reply) => {
      await broker.admin.deleteTopic(request.params.name);
      return reply.status(204).send();
    },
  );
}
