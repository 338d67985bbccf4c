import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../../admin/api.ts';
import type { ReplayOptions } from '../../admin/dead-letters.ts';
import { parseTime } from '../../admin/times.ts';

const time = {
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', minLength: 1 },
  ],
} as const;
const params = { type: 'object', properties: { topic: { type: 'string', minLength: 1 } } } as const;

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    offset: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
} as const;

const replayBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { type: 'string' },
    since: time,
    until: time,
    fromOffset: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1 },
    dryRun: { type: 'boolean' },
    ratePerSecond: { type: 'number', exclusiveMinimum: 0 },
    maxReplays: { type: 'integer', minimum: 1 },
  },
} as const;

interface ReplayBody {
  key?: string;
  since?: string | number;
  until?: string | number;
  fromOffset?: number;
  limit?: number;
  dryRun?: boolean;
  ratePerSecond?: number;
  maxReplays?: number;
}

/**
 * Dead letters (topics named `<topic>.<group>.dlq`, see the handler runtime):
 * - `GET /admin/dlq` → `[{topic, records}]`, every dead-letter topic with its record count.
 * - `GET /admin/dlq/{topic}/messages?key=&since=&until=&offset=&limit=` → dead letters with their envelope
 *   (origin, error, attempts, times, replay count), oldest first. `since`/`until` filter by dead-letter time.
 * - `POST /admin/dlq/{topic}/replay` `{key?, since?, until?, fromOffset?, limit?, dryRun?, ratePerSecond?,
 *   maxReplays?}` → a replay report; re-publishes the matching dead letters to their origin topics (nothing with
 *   `dryRun`). Answers once every replayed record is durable, so a rate-limited replay holds the request open;
 *   when the server begins to stop, the replay stops before its next batch and answers with `cancelled` (why, and
 *   the first dead letter not replayed).
 */
export function registerDlqRoutes(app: FastifyInstance, admin: AdminApi, stopping?: AbortSignal): void {
  app.get('/dlq', async () => admin.deadLetterTopics());

  app.get<{
    Params: { topic: string };
    Querystring: { key?: string; since?: string; until?: string; offset?: number; limit: number };
  }>('/dlq/:topic/messages', { schema: { params, querystring: listQuery } }, async (request) => {
    const { key, since, until, offset, limit } = request.query;
    return admin.deadLetters(request.params.topic, {
      key,
      since: parseTime(since, 'since'),
      until: parseTime(until, 'until'),
      fromOffset: offset,
      limit,
    });
  });

  app.post<{ Params: { topic: string }; Body: ReplayBody | undefined }>(
    '/dlq/:topic/replay',
    { schema: { params, body: replayBody } },
    async (request) => {
      const body = request.body ?? {};
      const options: ReplayOptions = {
        ...body,
        since: parseTime(body.since, 'since'),
        until: parseTime(body.until, 'until'),
      };
      return admin.replay(request.params.topic, options, stopping);
    },
  );
}
