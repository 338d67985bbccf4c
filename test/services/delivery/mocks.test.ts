/** The mock destinations `npm start` delivers to, and the default configuration that wires them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { deliveryService } from '../../../services/delivery/index.ts';
import { MOCK_RECEIVED_KEPT, registerMockDestinations } from '../../../services/delivery/mocks.ts';
import { createApp } from '../../../src/http/app.ts';
import { createMetrics } from '../../../src/metrics/registry.ts';
import { bootHerald, request } from '../../support/boot.ts';
import { eventStatus, waitFor } from './helpers.ts';

describe('mock destinations', { timeout: 60_000 }, () => {
  it('answer 500 at their failure rate and 200 otherwise, and count', async () => {
    const app = createApp({ logger: pino({ level: 'silent' }), metrics: createMetrics(), bodyLimitBytes: 1000 });
    const draws = [0.5, 0.05, 0.5, 0.95];
    registerMockDestinations(app, [{ id: 'm', failureRate: 0.1, minLatencyMs: 0, maxLatencyMs: 0 }], () =>
      draws.length > 0 ? draws.shift()! : 0.5,
    );
    const fail = await app.inject({ method: 'POST', url: '/mock-destinations/m', payload: { a: 1 } });
    assert.equal(fail.statusCode, 500);
    assert.equal(fail.json().mock, true);
    const ok = await app.inject({ method: 'POST', url: '/mock-destinations/m', payload: { a: 1 } });
    assert.equal(ok.statusCode, 200);
    const stats = await app.inject('/mock-destinations/m');
    assert.deepEqual(stats.json(), {
      mock: true,
      id: 'm',
      failureRate: 0.1,
      minLatencyMs: 0,
      maxLatencyMs: 0,
      received: 2,
      accepted: 1,
      failed: 1,
      rejected: 0,
    });
    assert.equal((await app.inject('/mock-destinations')).json().destinations.length, 1);
    assert.equal((await app.inject({ method: 'POST', url: '/mock-destinations/nope', payload: {} })).statusCode, 404);
  });

  it('refuse a payload asking for it with 400, and show the last requests they received, bounded', async () => {
    const app = createApp({ logger: pino({ level: 'silent' }), metrics: createMetrics(), bodyLimitBytes: 1000 });
    registerMockDestinations(app, [{ id: 'm', failureRate: 0, minLatencyMs: 0, maxLatencyMs: 0 }]);
    const refused = await app.inject({
      method: 'POST',
      url: '/mock-destinations/m',
      headers: { 'idempotency-key': 'e-1' },
      payload: { id: 'e-1', payload: { mockReject: true } },
    });
    assert.equal(refused.statusCode, 400);
    for (let i = 0; i < MOCK_RECEIVED_KEPT + 5; i++) {
      const ok = await app.inject({ method: 'POST', url: '/mock-destinations/m', payload: { id: `e-${i + 2}`, payload: {} } });
      assert.equal(ok.statusCode, 200);
    }
    const all = (await app.inject('/mock-destinations/m/received')).json();
    assert.equal(all.received, MOCK_RECEIVED_KEPT + 6);
    assert.equal(all.requests.length, MOCK_RECEIVED_KEPT, 'bounded');
    assert.equal(all.requests.at(-1).body.id, `e-${MOCK_RECEIVED_KEPT + 6}`, 'newest last');
    const last = (await app.inject('/mock-destinations/m/received?limit=1')).json();
    assert.equal(last.requests.length, 1);
    assert.equal(last.requests[0].status, 200);
    assert.equal((await app.inject('/mock-destinations/m')).json().rejected, 1);
    assert.equal((await app.inject('/mock-destinations/m/received?limit=0')).statusCode, 400);
  });

  it('are what the default configuration delivers to', async (t) => {
    const herald = await bootHerald(t, {}, [deliveryService]);
    const id = (await request(`${herald.url}/publish`, 'POST', { userId: 'demo', payload: { hello: 'world' } })).body
      .id as string;
    await waitFor('delivery to the mostly-ok mock', async () => {
      const status = await eventStatus(herald.url, id);
      return status.destinations['mock-mostly-ok'].status === 'delivered';
    });
    const status = await eventStatus(herald.url, id);
    assert.deepEqual(Object.keys(status.destinations).sort(), ['mock-mostly-failing', 'mock-mostly-ok']);
    const mocks = await request(`${herald.url}/mock-destinations`);
    assert.ok(mocks.body.destinations.every((m: { mock: boolean }) => m.mock));
    const metrics = await (await fetch(`${herald.url}/metrics`)).text();
    assert.match(metrics, /herald_delivery_accepted_total 1/);
    assert.match(metrics, /herald_delivery_delivered_total\{destination="mock-mostly-ok"\} 1/);
    assert.match(metrics, /herald_delivery_latency_seconds_count\{destination="mock-mostly-ok"\} 1/);
    assert.match(metrics, /herald_delivery_attempts_total\{destination="mock-mostly-ok",outcome="2xx"\} 1/);
    // The mock fails 9% of attempts: the event may have taken a failed attempt before the one that delivered it.
    const failed = Number(/herald_delivery_attempts_total\{destination="mock-mostly-ok",outcome="5xx"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    assert.match(metrics, new RegExp(`herald_delivery_response_seconds_count\\{destination="mock-mostly-ok"\\} ${1 + failed}\n`));
    // Counts are added when read: a second scrape does not count them again.
    const again = await (await fetch(`${herald.url}/metrics`)).text();
    assert.match(again, /herald_delivery_delivered_total\{destination="mock-mostly-ok"\} 1/);
  });
});
