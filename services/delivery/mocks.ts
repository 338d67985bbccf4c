import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { HeraldError } from '#herald';
import type { MockConfig } from './mock-config.ts';

/** Path prefix under which mock destinations are served. */
export const MOCK_PREFIX = '/mock-destinations';

interface MockCounters {
  received: number;
  accepted: number;
  failed: number;
  rejected: number;
}

/** Requests each mock keeps for `GET /mock-destinations/{id}/received`, newest last. */
export const MOCK_RECEIVED_KEPT = 100;

/** What a mock shows of a request it received. */
interface ReceivedRequest {
  at: string;
  idempotencyKey?: string;
  attempt?: string;
  status: number;
  body: unknown;
}

/**
 * A payload with this field set to true is refused by every mock with 400 — a permanent failure, dead-lettered at
 * once — so the demo can show dead letters and replay on demand.
 */
export const MOCK_REJECT_FIELD = 'mockReject';

/**
 * Serves MOCK destinations on Herald's own HTTP app, standing in for real ones in the demo (`npm start`) the way
 * the original system's simulated destinations did: `POST /mock-destinations/{id}` waits a random latency, then
 * answers 400 to an event whose payload has `mockReject: true`, else 500 with probability `failureRate`, else 200.
 * `GET /mock-destinations/{id}` shows its settings and counters, `GET /mock-destinations/{id}/received` the last
 * {@link MOCK_RECEIVED_KEPT} requests (bounded; `?limit=` fewer). They exist to exercise retries, dead letters and
 * ordering without a network.
 */
export function registerMockDestinations(
  app: FastifyInstance,
  mocks: MockConfig[],
  random: () => number = Math.random,
) {
  const byId = new Map(
    mocks.map((m) => [
      m.id,
      { mock: m, counters: { received: 0, accepted: 0, failed: 0, rejected: 0 }, log: [] as ReceivedRequest[] },
    ]),
  );
  const find = (id: string) => {
    const found = byId.get(id);
    if (found === undefined) throw new HeraldError('HERALD_NOT_FOUND', `no mock destination ${JSON.stringify(id)}`);
    return found;
  };
  const params = {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string' } },
  };

  app.get(MOCK_PREFIX, async () => ({
    mock: true,
    destinations: [...byId.values()].map(({ mock, counters }) => describe(mock, counters)),
  }));

  app.get<{ Params: { id: string } }>(`${MOCK_PREFIX}/:id`, { schema: { params } }, async (request) => {
    const { mock, counters } = find(request.params.id);
    return describe(mock, counters);
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>(
    `${MOCK_PREFIX}/:id/received`,
    {
      schema: {
        params,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: MOCK_RECEIVED_KEPT, default: MOCK_RECEIVED_KEPT } },
        },
      },
    },
    async (request) => {
      const { mock, counters, log } = find(request.params.id);
      return { id: mock.id, received: counters.received, requests: log.slice(-request.query.limit) };
    },
  );

  // Herald calls its own mocks thousands of times a minute: a request log line for each would drown the rest.
  app.post<{ Params: { id: string } }>(`${MOCK_PREFIX}/:id`, { schema: { params }, logLevel: 'silent' }, async (request, reply) => {
    const { mock, counters, log } = find(request.params.id);
    counters.received += 1;
    const latency = mock.minLatencyMs + Math.floor(random() * (mock.maxLatencyMs - mock.minLatencyMs + 1));
    if (latency > 0) await sleep(latency);
    const payload = (request.body as { payload?: Record<string, unknown> } | undefined)?.payload;
    const status = payload?.[MOCK_REJECT_FIELD] === true ? 400 : random() < mock.failureRate ? 500 : 200;
    log.push({
      at: new Date().toISOString(),
      idempotencyKey: request.headers['idempotency-key'] as string | undefined,
      attempt: request.headers['herald-attempt'] as string | undefined,
      status,
      body: request.body,
    });
    if (log.length > MOCK_RECEIVED_KEPT) log.shift();
    if (status === 400) {
      counters.rejected += 1;
      return reply.status(400).send({ mock: true, error: `rejected: the payload asks for it (${MOCK_REJECT_FIELD})` });
    }
    if (status === 500) {
      counters.failed += 1;
      return reply.status(500).send({ mock: true, error: 'simulated failure' });
    }
    counters.accepted += 1;
    return reply.status(200).send({ mock: true, ok: true });
  });
}

function describe(mock: MockConfig, counters: MockCounters) {
  return { mock: true, ...mock, ...counters };
}
