import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Generations } from '../../src/kit/generations.ts';

describe('Generations', () => {
  it('keeps an entry for at least half the capacity of later writes and never more than the capacity', () => {
    const memory = new Generations<number, string>(10);
    for (let i = 0; i < 1_000; i++) {
      memory.set(i, `v${i}`);
      assert.ok(memory.size <= 10, `size ${memory.size} after ${i}`);
      for (let back = 0; back < 5 && back <= i; back++) assert.equal(memory.get(i - back), `v${i - back}`, `${i - back} at ${i}`);
      if (i >= 10) assert.equal(memory.get(i - 10), undefined, `${i - 10} forgotten at ${i}`);
    }
  });

  it('a write replaces, a delete removes from both generations', () => {
    const memory = new Generations<string, number>(4);
    memory.set('a', 1);
    memory.set('b', 2); // a and b become the old generation
    memory.set('a', 3);
    assert.equal(memory.get('a'), 3, 'the young value wins');
    memory.delete('a');
    assert.equal(memory.get('a'), undefined);
    assert.equal(memory.get('b'), 2);
  });
});
