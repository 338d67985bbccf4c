import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../../admin/api.ts';
import type { ReplayOptions } from '../../admin/dead-letters.ts';
import { MAX_PAGE_BYTES } from '../../admin/pages.ts';
import { readStart } from '../../admin/positions.ts';
import { parseTime } from '../../admin/times.ts';
import { pageQuery } from './messages.ts';

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
    key: { type: 'string', description: 'only dead letters with this key' },
    since: { type: 'string', description: 'dead-lettered at or after (epoch ms or ISO 8601)' },
    until: { type: 'string', description: 'dead-lettered before (epoch ms or ISO 8601)' },
    ...pageQuery,
  },
} as const;

const replayBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { type: 'string' },
    since: time,
    until: time,
    offset: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', minLength: 1 }] },
    cursor: { type: 'string' },
    limit: { type: 'integer', minimum: 1 },
    dryRun: { type: 'boolean' },
    ratePerSecond: { type: 'number', exclusiveMinimum: 0 },
    maxReplays: { type: 'integer', minimum: 1 },
    again: { type: 'boolean' },
    maxBytes: { type: 'integer', minimum: 1024, maximum: MAX_PAGE_BYTES },
  },
} as const;

interface ListQuery {
  key?: string;
  since?: string;
  until?: string;
  offset?: string;
  cursor?: string;
  limit: number;
  maxBytes?: number;
}

interface ReplayBody {
  key?: string;
  since?: string | number;
  until?: string | number;
  offset?: string | number;
  cursor?: string;
  limit?: number;
  dryRun?: boolean;
  ratePerSecond?: number;
  maxReplays?: number;
  again?: boolean;
  maxBytes?: number;
}

/**
 * Dead letters (topics named `<topic>.<group>.dlq`, see the handler runtime); any other topic is a 400:
 * - `GET /admin/dlq` → `[{topic, records}]`, every dead-letter topic with its record count.
 * - `GET /admin/dlq/{topic}/messages?key=&since=&until=&offset=&cursor=&limit=&maxBytes=` → a page
 *   `{deadLetters, next, more, limitedBy?}` of dead letters with their envelope (origin, error, attempts, times,
 *   replay count, replay mark), oldest first. `since`/`until` filter by dead-letter time.
 * - `POST /admin/dlq/{topic}/replay` `{key?, since?, until?, offset?, cursor?, limit?, dryRun?, ratePerSecond?,
 *   maxReplays?, again?, maxBytes?}` → a replay report (counts, and bounded lists); re-publishes the matching dead
 *   letters to their origin topics (nothing with `dryRun`) and marks them, skipping those replayed before unless
 *   `again`. Answers once every replayed record is durable, so a rate-limited replay holds the request open;
 *   when the server begins to stop, the replay stops before its next chunk and answers with `cancelled` (why, and
 *   the first dead letter not replayed).
 */
export function registerDlqRoutes(app: FastifyInstance, admin: AdminApi, stopping?: AbortSignal): void {
  app.get('/dlq', { schema: { summary: 'dead-letter topics with their record counts' } }, async () =>
    admin.deadLetterTopics(),
  );

  app.get<{ Params: { topic: string }; Querystring: ListQuery }>(
    '/dlq/:topic/messages',
    { schema: { summary: 'a page of dead letters with their envelopes, and the cursor to continue', params, querystring: listQuery } },
    async (request) => {
      const { key, since, until, offset, cursor, limit, maxBytes } = request.query;
      return admin.deadLetters(request.params.topic, {
        key,
        since: parseTime(since, 'since'),
        until: parseTime(until, 'until'),
        limit,
        maxBytes,
        ...readStart(offset, cursor),
      });
    },
  );

  app.post<{ Params: { topic: string }; Body: ReplayBody | undefined }>(
    '/dlq/:topic/replay',
    { schema: { summary: 're-publish dead letters to their origin topic (skips those replayed before unless again)', params, body: replayBody } },
    async (request) => {
      const { offset, cursor, ...body } = request.body ?? {};
      const options: ReplayOptions = {
        ...body,
        since: parseTime(body.since, 'since'),
        until: parseTime(body.until, 'until'),
        ...readStart(offset, cursor),
      };
      return admin.replay(request.params.topic, options, stopping);
    },
  );
}
