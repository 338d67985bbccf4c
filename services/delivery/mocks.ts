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
}

/**
 * Serves MOCK destinations on Herald's own HTTP app, standing in for real ones in the demo (`npm start`) the way
 * the original system's simulated destinations did: `POST /mock-destinations/{id}` waits a random latency, then
 * answers 500 with probability `failureRate`, else 200. `GET /mock-destinations/{id}` shows its settings and
 * counters. Nothing is stored; they exist to exercise retries, dead letters and ordering without a network.
 */
export function registerMockDestinations(
  app: FastifyInstance,
  mocks: MockConfig[],
  random: () => number = Math.random,
) {
  const byId = new Map(mocks.map((m) => [m.id, { mock: m, counters: { received: 0, accepted: 0, failed: 0 } }]));
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

  // Herald calls its own mocks thousands of times a minute: a request log line for each would drown the rest.
  app.post<{ Params: { id: string } }>(`${MOCK_PREFIX}/:id`, { schema: { params }, logLevel: 'silent' }, async (request, reply) => {
    const { mock, counters } = find(request.params.id);
    counters.received += 1;
    const latency = mock.minLatencyMs + Math.floor(random() * (mock.maxLatencyMs - mock.minLatencyMs + 1));
    if (latency > 0) await sleep(latency);
    if (random() < mock.failureRate) {
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
