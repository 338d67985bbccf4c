import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TurnBatcher } from '../../src/kit/turn-batcher.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnBatcher', () => {
  it('hands over everything pushed in one turn as one batch, in order', async () => {
    const batches: number[][] = [];
    const batcher = new TurnBatcher<number>((items) => batches.push(items));
    batcher.push(1);
    await Promise.resolve();
    batcher.push(2);
    assert.equal(batcher.size, 2);
    assert.deepEqual(batches, [], 'nothing before the turn ends');
    await nextTurn();
    batcher.push(3);
    await nextTurn();
    assert.deepEqual(batches, [[1, 2], [3]]);
  });

  it('flushes on demand, and a scheduled flush then finds nothing', async () => {
    const batches: string[][] = [];
    const batcher = new TurnBatcher<string>((items) => batches.push(items));
    batcher.push('a');
    batcher.flushNow();
    assert.deepEqual(batches, [['a']]);
    await nextTurn();
    assert.deepEqual(batches, [['a']], 'no empty batch');
  });

  it('drops what waits without handing it over', async () => {
    const batches: string[][] = [];
    const batcher = new TurnBatcher<string>((items) => batches.push(items));
    batcher.push('a');
    batcher.push('b');
    assert.deepEqual(batcher.drop(), ['a', 'b']);
    await nextTurn();
    assert.deepEqual(batches, []);
  });
});
