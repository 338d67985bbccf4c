import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { Broker } from '../../src/broker/port.ts';
import { isHeraldError } from '../../src/errors.ts';
import { dedupe } from '../../src/runtime/middleware/dedupe.ts';
import { Router } from '../../src/runtime/router.ts';
import { startTestBroker } from '../../src/testing/broker.ts';

const logger = pino({ level: 'silent' });
// Nothing here reaches the broker: registration is checked before start.
const broker = {} as Broker;
const invalid = (err: unknown) => isHeraldError(err, 'HERALD_INVALID_ARGUMENT');

describe('Router (registration)', () => {
  it('refuses bad options once, at construction or registration', () => {
    assert.throws(() => new Router({ broker, logger, concurrency: 0 }), invalid);
    assert.throws(() => new Router({ broker, logger, commitIntervalMs: 1.5 }), invalid);
    assert.throws(() => new Router({ broker, logger, drainTimeoutMs: -1 }), invalid);
    assert.throws(() => new Router({ broker, logger, retry: { jitter: 3 } }), invalid);
    const router = new Router({ broker, logger });
    const noop = async () => {};
    assert.throws(() => router.handle('', 'g', noop), invalid);
    assert.throws(() => router.handle('t', '', noop), invalid);
    assert.throws(() => router.handle('t', 'g', noop, { mode: 'sideways' as 'key' }), invalid);
    assert.throws(() => router.handle('t', 'g', noop, { maxInFlight: 0 }), invalid);
    assert.throws(() => router.handle('t', 'g', noop, { timeoutMs: -5 }), invalid);
    router.handle('t', 'g', noop);
    assert.throws(() => router.handle('t', 'g', noop), invalid, 'a second handler for one topic and group');
    router.handle('t', 'other', noop);
  });

  it('is configured before start and stops idempotently', async () => {
    const router = new Router({ broker, logger });
    await router.start();
    assert.throws(() => router.use(), invalid);
    assert.throws(() => router.handle('t', 'g', async () => {}), invalid);
    await router.stop();
    await router.stop();
    await assert.rejects(router.start(), invalid);
  });
});

describe('Router (declared topology)', () => {
  it('states its inputs, outputs, dead-letter and dedupe topics, and creates the ones it owns at start', async (t) => {
    const embedded = await startTestBroker();
    t.after(() => embedded.stop());
    await embedded.admin.createTopic({ name: 'orders', partitions: 2 });
    const router = new Router({ broker: embedded, logger, name: 'shop', tracing: false });
    router.handle('orders', 'email', async () => {}, {
      outputs: ['receipts'],
      middleware: [dedupe<Buffer | null>({ idOf: (m) => m.key })],
      deadLetter: { partitions: 3 },
    });
    router.handle('orders', 'audit', async () => {}, { deadLetter: false });
    assert.deepEqual(router.topology(), [
      { name: 'orders', role: 'input', owner: 'router shop, group email' },
      { name: 'receipts', role: 'output', owner: 'router shop, group email' },
      { name: 'orders.email.dlq', role: 'dead-letter', owner: 'router shop, group email', spec: { partitions: 3 } },
      {
        name: '__herald.dedupe.email',
        role: 'internal',
        owner: 'router shop, group email',
        spec: { partitions: 1, compacted: true },
      },
      { name: 'orders', role: 'input', owner: 'router shop, group audit' },
    ]);
    await router.start();
    t.after(() => router.stop());
    const dlq = await embedded.admin.describeTopic('orders.email.dlq');
    assert.equal(dlq.partitions.length, 3, 'created at start, not on the first dead letter');
    assert.equal((await embedded.admin.describeTopic('__herald.dedupe.email')).compacted, true);
    await assert.rejects(embedded.admin.describeTopic('receipts'), (err) => isHeraldError(err, 'HERALD_TOPIC_NOT_FOUND'));
  });

  it('refuses to start with a topology no broker accepts, creating nothing', async (t) => {
    const embedded = await startTestBroker();
    t.after(() => embedded.stop());
    const router = new Router({ broker: embedded, logger });
    router.handle('bad name', 'g', async () => {});
    await assert.rejects(router.start(), (err) => isHeraldError(err, 'HERALD_CONFIG_INVALID'));
    assert.deepEqual(await embedded.admin.listTopics(), []);
  });
});
