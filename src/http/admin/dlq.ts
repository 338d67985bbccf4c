import type { FastifyInstance } from 'fastify';
import type { Broker, Producer } from '../../broker/port.ts';
import { HeraldError } from '../../errors.ts';
import { listDeadLetters, type ReplayOptions, replayDeadLetters } from '../../runtime/dlq/replay.ts';
import { isDeadLetterTopic } from '../../runtime/names.ts';

/** A time as given in a query or body: epoch milliseconds (number or digits) or an ISO 8601 string. */
export function parseTime(value: string | number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new HeraldError('HERALD_VALIDATION_FAILED', `${field} must be epoch milliseconds or an ISO 8601 time`, {
      details: [{ field, message: 'is not a time' }],
    });
  }
  return ms;
}

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
 *   `dryRun`). Answers once every replayed record is durable, so a rate-limited replay holds the request open.
 */
export function registerDlqRoutes(app: FastifyInstance, broker: Broker): void {
  let producer: Producer | undefined;

  app.get('/dlq', async () => {
    const topics = (await broker.admin.listTopics()).filter((t) => isDeadLetterTopic(t.name));
    return topics
      .map((t) => ({ topic: t.name, records: t.partitions.reduce((sum, p) => sum + (p.latest - p.earliest), 0) }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
  });

  app.get<{
    Params: { topic: string };
    Querystring: { key?: string; since?: string; until?: string; offset?: number; limit: number };
  }>('/dlq/:topic/messages', { schema: { params, querystring: listQuery } }, async (request) => {
    const { key, since, until, offset, limit } = request.query;
    return listDeadLetters(broker.admin, request.params.topic, {
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
      producer ??= broker.producer();
      return replayDeadLetters(broker.admin, producer, request.params.topic, options);
    },
  );
}
