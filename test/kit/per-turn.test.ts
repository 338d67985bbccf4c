import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { perTurn } from '../../src/kit/per-turn.ts';

describe('perTurn', () => {
  it('reads once per event-loop turn, again in the next', async () => {
    let reads = 0;
    const read = perTurn(() => ++reads);
    assert.equal(read(), 1);
    await Promise.resolve();
    assert.equal(read(), 1, 'a microtask is the same turn');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(read(), 2);
    assert.equal(read(), 2);
    assert.equal(reads, 2);
  });
});
