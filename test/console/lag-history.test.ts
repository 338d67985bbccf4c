import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { LagHistory } from '../../src/console/lag-history.ts';

describe('console: lag history', () => {
  it("keeps the last samples of each of the process's groups, summed over partitions and both kinds of consumer", async () => {
    const registry = new Registry();
    const handlers = new Gauge({ name: 'herald_handler_consumer_lag', help: 'h', labelNames: ['topic', 'group', 'partition'], registers: [registry] });
    const processors = new Gauge({ name: 'herald_processor_lag', help: 'p', labelNames: ['group', 'partition'], registers: [registry] });
    const history = new LagHistory(registry, { everyMs: 3_600_000, keep: 2 });
    try {
      handlers.set({ topic: 'jobs', group: 'workers', partition: '0' }, 5);
      handlers.set({ topic: 'jobs', group: 'workers', partition: '1' }, 7);
      processors.set({ group: 'balance', partition: '0' }, 3);
      await history.sample(1_000);
      handlers.set({ topic: 'jobs', group: 'workers', partition: '0' }, 1);
      await history.sample(2_000);
      handlers.set({ topic: 'jobs', group: 'workers', partition: '1' }, 0);
      await history.sample(3_000);
      assert.deepEqual(history.of('workers'), [{ at: 2_000, lag: 8 }, { at: 3_000, lag: 1 }], 'the newest two');
      assert.deepEqual(history.of('balance').map((s) => s.lag), [3, 3]);
      assert.deepEqual(history.of('elsewhere'), []);
    } finally {
      history.stop();
    }
  });
});
