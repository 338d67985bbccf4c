import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../../admin/api.ts';
import type { TopicSpec } from '../../broker/port.ts';
import { MAX_PARTITIONS } from '../../broker/rules.ts';

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
    partitions: { type: 'integer', minimum: 1, maximum: MAX_PARTITIONS },
    compacted: { type: 'boolean' },
    replicationFactor: { type: 'integer', minimum: 1 },
    retentionMs: { type: 'integer', minimum: 1 },
    retentionBytes: { type: 'integer', minimum: 1 },
    configs: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

/** `POST /admin/topics`, `GET /admin/topics`, `GET|DELETE /admin/topics/{name}`, `GET /admin/metadata`. */
export function registerTopicRoutes(app: FastifyInstance, admin: AdminApi): void {
  app.get('/metadata', { schema: { summary: 'the broker, every topic and its partitions' } }, async () =>
    admin.metadata(),
  );

  app.post<{ Body: TopicSpec }>('/topics', { schema: { summary: 'create a topic', body: createBody } }, async (request, reply) =>
    reply.status(201).send(await admin.createTopic(request.body)),
  );

  app.get('/topics', { schema: { summary: 'topics with their partitions and offsets' } }, async () =>
    admin.listTopics(),
  );

  app.get<{ Params: { name: string } }>('/topics/:name', { schema: { summary: 'one topic', params: nameParam } }, async (request) =>
    admin.describeTopic(request.params.name),
  );

  app.get<{ Params: { name: string } }>(
    '/topics/:name/storage',
    { schema: { summary: 'bytes stored per partition, retention and the topic’s own settings', params: nameParam } },
    async (request) => admin.topicStorage(request.params.name),
  );

  app.delete<{ Params: { name: string } }>(
    '/topics/:name',
    { schema: { summary: 'delete a topic', params: nameParam } },
    async (request, reply) => {
      await admin.deleteTopic(request.params.name);
      return reply.status(204).send();
    },
  );
}
