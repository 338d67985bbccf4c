import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValueCache } from '../../src/processor/value-cache.ts';

const value = (n: number) => Buffer.alloc(n);

describe('ValueCache', () => {
  it('keeps values and known absences per partition', () => {
    const cache = new ValueCache(1 << 20);
    cache.set(0, 'a', value(3));
    cache.set(1, 'a', null);
    assert.equal(cache.get(0, 'a')?.length, 3);
    assert.equal(cache.get(1, 'a'), null);
    assert.equal(cache.get(2, 'a'), undefined);
    cache.forget(0);
    assert.equal(cache.get(0, 'a'), undefined);
    assert.equal(cache.get(1, 'a'), null);
    cache.clear();
    assert.equal(cache.get(1, 'a'), undefined);
  });

  it('stays within its capacity and keeps what was used since the last turn', () => {
    // Each entry weighs 2 (key) + 100 (value) + 64 (overhead) = 166 bytes: 6 fit in a generation of 1,000.
    const cache = new ValueCache(2_000);
    for (let i = 0; i < 6; i++) cache.set(0, `${i}`, value(100));
    assert.equal(cache.get(0, '0')?.length, 100);
    // Writing the same key again does not count it twice.
    for (let n = 0; n < 50; n++) cache.set(0, '1', value(100));
    for (let i = 0; i < 6; i++) assert.notEqual(cache.get(0, `${i}`), undefined, `key ${i} still cached`);
    // Many new keys: the first ones, unused since, are forgotten; at most two generations are held.
    for (let i = 10; i < 40; i++) cache.set(0, `${i}`, value(100));
    assert.equal(cache.get(0, '0'), undefined);
    let held = 0;
    for (let i = 10; i < 40; i++) if (cache.get(0, `${i}`) !== undefined) held++;
    assert.ok(held >= 6 && held <= 13, `held ${held}`);
  });

  it('a value read from the old generation moves to the young one and survives the next turn', () => {
    const cache = new ValueCache(2_000);
    cache.set(0, 'k', value(100));
    for (let i = 10; i < 16; i++) cache.set(0, `${i}`, value(100)); // turn: 'k' is now old
    assert.notEqual(cache.get(0, 'k'), undefined); // read: copied to young
    for (let i = 20; i < 25; i++) cache.set(0, `${i}`, value(100)); // next turn
    assert.notEqual(cache.get(0, 'k'), undefined);
  });
});
