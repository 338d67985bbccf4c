/** The mock destinations `npm start` delivers to, and the default configuration that wires them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { deliveryService } from '../../../services/delivery/index.ts';
import { registerMockDestinations } from '../../../services/delivery/mocks.ts';
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
    });
    assert.equal((await app.inject('/mock-destinations')).json().destinations.length, 1);
    assert.equal((await app.inject({ method: 'POST', url: '/mock-destinations/nope', payload: {} })).statusCode, 404);
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
  });
});
