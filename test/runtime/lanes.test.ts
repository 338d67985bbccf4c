import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LaneCache } from '../../src/runtime/lanes.ts';

describe('LaneCache', () => {
  it('gives every key its exact latin1 lane, remembered or not, whatever collides', () => {
    const cache = new LaneCache();
    const keys = [
      ...Array.from({ length: 20_000 }, (_, i) => Buffer.from(`key-${i % 7_000}`)),
      Buffer.from([0xff, 0x00, 0x80]),
      Buffer.from([0xff, 0x00]),
      Buffer.alloc(0),
      Buffer.alloc(100, 7),
    ];
    for (const key of keys) assert.equal(cache.lane(key), key.toString('latin1'));
  });

  it('returns the same string for a remembered key (its hash is computed once)', () => {
    const cache = new LaneCache();
    assert.equal(cache.lane(Buffer.from('order-1')), cache.lane(Buffer.from('order-1')));
  });
});
