import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { Broker } from '../../src/broker/port.ts';
import { isHeraldError } from '../../src/errors.ts';
import { Router } from '../../src/runtime/router.ts';

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
