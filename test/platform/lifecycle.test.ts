import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { type Component, Lifecycle } from '../../src/platform/lifecycle.ts';

const silent = pino({ level: 'silent' });

function recorder(
  events: string[],
  name: string,
  behaviour: { failStart?: boolean; stopMs?: number; failStop?: boolean } = {},
): Component {
  return {
    name,
    start: async () => {
      if (behaviour.failStart) throw new Error(`${name} cannot start`);
      events.push(`start ${name}`);
    },
    stop: async () => {
      if (behaviour.stopMs) await sleep(behaviour.stopMs);
      if (behaviour.failStop) throw new Error(`${name} cannot stop`);
      events.push(`stop ${name}`);
    },
  };
}

describe('lifecycle', () => {
  it('starts in order and stops in reverse order', async () => {
    const events: string[] = [];
    const lifecycle = new Lifecycle(silent).add(recorder(events, 'a'), recorder(events, 'b'), recorder(events, 'c'));
    assert.equal(lifecycle.ready, false);
    await lifecycle.start();
    assert.equal(lifecycle.ready, true);
    assert.deepEqual(await lifecycle.stop(1000), { clean: true, abandoned: [] });
    assert.equal(lifecycle.ready, false);
    assert.deepEqual(events, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('stops what started when a later component fails to start', async () => {
    const events: string[] = [];
    const lifecycle = new Lifecycle(silent).add(
      recorder(events, 'a'),
      recorder(events, 'b', { failStart: true }),
      recorder(events, 'c'),
    );
    await assert.rejects(lifecycle.start(), /b cannot start/);
    assert.deepEqual(events, ['start a', 'stop a']);
  });

  it('reports components abandoned at the deadline and failed stops as unclean', async () => {
    const events: string[] = [];
    const lifecycle = new Lifecycle(silent).add(recorder(events, 'slow', { stopMs: 500 }), recorder(events, 'fast'));
    await lifecycle.start();
    const result = await lifecycle.stop(50);
    assert.deepEqual(result, { clean: false, abandoned: ['slow'] });
    assert.equal(await lifecycle.stop(50), result, 'stopping twice returns the same result');

    const failing = new Lifecycle(silent).add(recorder(events, 'broken', { failStop: true }));
    await failing.start();
    assert.deepEqual(await failing.stop(1000), { clean: false, abandoned: [] });
  });
});
