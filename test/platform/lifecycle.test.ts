import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { HeraldError } from '../../src/errors.ts';
import { type Component, Lifecycle, type StopStage } from '../../src/platform/lifecycle.ts';
import { STOP_SHARES, stopDeadlines } from '../../src/platform/stop-budget.ts';

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

  it('gives each stage its own share: a stage that hangs does not starve the stages after it', async () => {
    const events: string[] = [];
    const budgets: Record<string, number> = {};
    const part = (name: string, stage: StopStage, stop: (budgetMs: number) => Promise<void>): Component => ({
      name,
      stage,
      start: async () => {},
      stop: async (budgetMs = Number.NaN) => {
        budgets[name] = budgetMs;
        await stop(budgetMs);
        events.push(`stop ${name}`);
      },
    });
    const lifecycle = new Lifecycle(silent).add(
      part('broker', 'broker', async () => {}),
      part('consumers', 'consumers', () => sleep(300)),
      part('http', 'http', () => new Promise(() => {})),
    );
    await lifecycle.start();
    const result = await lifecycle.stop(2_000);
    assert.deepEqual(result, { clean: false, abandoned: ['http'] });
    assert.deepEqual(events, ['stop consumers', 'stop broker'], 'consumers and broker stopped after http hung');
    const total = STOP_SHARES.http + STOP_SHARES.consumers + STOP_SHARES.broker;
    assert.ok(Math.abs(budgets.http - (2_000 * STOP_SHARES.http) / total) < 5, `http budget ${budgets.http}`);
    assert.ok(budgets.consumers > (2_000 * STOP_SHARES.consumers) / total - 50, `consumers ${budgets.consumers}`);
  });

  it('passes on time an early stage did not use, and counts a HERALD_TIMEOUT rejection as abandoned', async () => {
    const budgets: number[] = [];
    const lifecycle = new Lifecycle(silent).add(
      {
        name: 'threads',
        stage: 'threads',
        start: async () => {},
        stop: async (budgetMs) => {
          budgets.push(budgetMs!);
        },
      },
      {
        name: 'http',
        stage: 'http',
        start: async () => {},
        stop: async (budgetMs) => {
          budgets.push(budgetMs!);
          throw new HeraldError('HERALD_TIMEOUT', '1 HTTP request still running was cut');
        },
      },
    );
    await lifecycle.start();
    assert.deepEqual(await lifecycle.stop(1_000), { clean: false, abandoned: ['http'] });
    assert.ok(budgets[1] > 900, `threads got what http left: ${budgets[1]} ms`);
  });

  it('splits a stage evenly between its components and ends at the overall timeout', () => {
    const deadlines = stopDeadlines(['http', 'consumers', 'consumers', 'broker'], 1_000);
    const total = STOP_SHARES.http + STOP_SHARES.consumers + STOP_SHARES.broker;
    assert.ok(Math.abs(deadlines[1] - deadlines[0] - (deadlines[2] - deadlines[1])) < 1e-9);
    assert.ok(Math.abs(deadlines[0] - (1_000 * STOP_SHARES.http) / total) < 1e-9);
    assert.ok(Math.abs(deadlines[3] - 1_000) < 1e-9);
    assert.deepEqual(stopDeadlines(['http'], Number.POSITIVE_INFINITY), [Number.POSITIVE_INFINITY]);
  });
});
