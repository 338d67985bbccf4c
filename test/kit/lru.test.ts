import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruCache } from '../../src/kit/lru.ts';

describe('LruCache', () => {
  it('evicts the least recently used beyond capacity and reports it', () => {
    const cache = new LruCache<string, number>(2);
    assert.deepEqual(cache.set('a', 1), []);
    assert.deepEqual(cache.set('b', 2), []);
    assert.equal(cache.get('a'), 1);
    assert.deepEqual(cache.set('c', 3), ['b']);
    assert.equal(cache.has('b'), false);
    assert.equal(cache.size, 2);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.size, 1);
  });

  it('bounds the total weight when given a weigher: updates reweigh, deletes give weight back', () => {
    const cache = new LruCache<string, string>(10, (key, value) => key.length + value.length);
    cache.set('a', 'xxxx'); // 5
    cache.set('b', 'yy'); // 3
    assert.equal(cache.weight, 8);
    assert.deepEqual(cache.set('c', 'zzz'), ['a'], 'over 10: the oldest goes');
    assert.equal(cache.weight, 7);
    assert.deepEqual(cache.set('b', 'yyyyy'), [], 'reweighed: 6 + 4 = 10');
    assert.equal(cache.weight, 10);
    assert.deepEqual(cache.set('d', 'w'), ['c']);
    assert.equal(cache.delete('b'), true);
    assert.equal(cache.weight, 2);
    assert.deepEqual(cache.set('e', 'q'.repeat(20)), ['d', 'e'], 'heavier than the whole capacity: not kept');
    assert.equal(cache.weight, 0);
  });

  it('deletes the entries whose key matches', () => {
    const cache = new LruCache<string, number>(10);
    for (const key of ['1:a', '2:a', '1:b', '3:c']) cache.set(key, 0);
    assert.equal(cache.deleteWhere((key) => key.startsWith('1:')), 2);
    assert.equal(cache.size, 2);
    assert.equal(cache.has('2:a') && cache.has('3:c'), true);
  });

  it('peek leaves the order alone; set on a known key updates and refreshes it', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.peek('a'), 1);
    assert.deepEqual(cache.set('c', 3), ['a'], 'peek did not make a recent');
    assert.deepEqual(cache.set('b', 20), []);
    assert.deepEqual(cache.set('d', 4), ['c']);
    assert.equal(cache.get('b'), 20);
  });

  it('behaves like a plain list model over a long random sequence', () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const cache = new LruCache<number, number>(50);
    let model: [number, number][] = []; // oldest first
    for (let step = 0; step < 20_000; step++) {
      const key = random(120);
      const op = random(4);
      if (op === 0) {
        const found = model.find(([k]) => k === key);
        assert.equal(cache.get(key), found?.[1]);
        if (found) model = [...model.filter(([k]) => k !== key), found];
      } else if (op === 1) {
        assert.equal(cache.delete(key), model.some(([k]) => k === key));
        model = model.filter(([k]) => k !== key);
      } else {
        model = [...model.filter(([k]) => k !== key), [key, step]];
        const evicted = model.length > 50 ? model.splice(0, model.length - 50).map(([k]) => k) : [];
        assert.deepEqual(cache.set(key, step), evicted);
      }
      assert.equal(cache.size, model.length);
      assert.deepEqual(cache.oldest(), model.length === 0 ? undefined : { key: model[0][0], value: model[0][1] });
      if (step % 97 === 0) assert.deepEqual([...cache.newestFirst()], [...model].reverse());
    }
  });
});
