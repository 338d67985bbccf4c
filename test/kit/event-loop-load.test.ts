import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recentUtilization, WINDOW_MS } from '../../src/kit/event-loop-load.ts';

const busyFor = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('recentUtilization', () => {
  it('reads a busy loop as busy and an idle one as idle, one window at a time', async () => {
    recentUtilization();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 50));
    const idle = recentUtilization();
    assert.ok(idle < 0.5, `an idle window (${idle})`);
    busyFor(WINDOW_MS + 50);
    const busy = recentUtilization();
    assert.ok(busy > 0.5, `a window spent spinning (${busy})`);
    assert.equal(recentUtilization(), busy, 'within a window, the same answer');
  });
});
