import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LaneTable } from '../../src/runtime/lanes.ts';

/** Keys whose lanes must all differ: many short ones, bytes a text would blur, long ones differing in the middle. */
function distinctKeys(): Buffer[] {
  const long = (middle: number) => Buffer.concat([Buffer.alloc(40, 1), Buffer.from([middle]), Buffer.alloc(40, 2)]);
  return [
    ...Array.from({ length: 7_000 }, (_, i) => Buffer.from(`key-${i}`)),
    Buffer.from([0xff, 0x00, 0x80]),
    Buffer.from([0xff, 0x00]),
    Buffer.from([0xc3, 0xa9]),
    Buffer.from('é', 'latin1'),
    Buffer.alloc(0),
    ...Array.from({ length: 50 }, (_, i) => long(i)),
  ];
}

describe('LaneTable', () => {
  it('gives equal bytes one lane and different bytes different lanes, long keys and hash collisions included', () => {
    const table = new LaneTable<number>();
    const keys = distinctKeys();
    const lanes = keys.map((key) => {
      const lane = table.lane(key);
      lane.busy = true; // busy lanes are never swept
      return lane;
    });
    assert.equal(new Set(lanes).size, keys.length, 'two different keys shared a lane');
    keys.forEach((key, i) => assert.equal(table.lane(Buffer.from(key)), lanes[i], `key ${i} found another lane`));
  });

  it('keys whose hashes collide keep lanes of their own, whichever of them is swept first', () => {
    // These pairs hash alike in the table (found by search); the table must still tell them apart.
    const pairs = [
      ['key-73208', 'key-209790'],
      ['key-73209', 'key-209791'],
    ].map((pair) => pair.map((text) => Buffer.from(text)));
    for (const [first, second] of pairs) {
      const table = new LaneTable<number>();
      const a = table.lane(first);
      const b = table.lane(second);
      assert.notEqual(a, b, `${first} and ${second} share a lane`);
      b.busy = true;
      for (let i = 0; i < 3_000; i++) table.lane(Buffer.from(`filler-${i}`)); // sweeps the idle first-comer
      assert.equal(table.lane(Buffer.from(second)), b, 'the collided lane was lost when its hash slot emptied');
      const again = table.lane(Buffer.from(first));
      assert.notEqual(again, b);
      assert.equal(table.lane(Buffer.from(first)), again);
    }
  });

  it('keeps a lane while busy however many idle ones are swept; an idle one is made anew after a sweep', () => {
    const table = new LaneTable<number>();
    const held = table.lane(Buffer.from('held'));
    held.busy = true;
    const idle = table.lane(Buffer.from('idle'));
    for (let i = 0; i < 5_000; i++) table.lane(Buffer.from(`other-${i}`));
    assert.ok(table.size < 5_000, `idle lanes were never swept (${table.size})`);
    assert.equal(table.lane(Buffer.from('held')), held);
    assert.notEqual(table.lane(Buffer.from('idle')), idle);
  });

  it('does not keep the buffer it was given (a view into a fetched batch)', () => {
    const table = new LaneTable<number>();
    const batch = Buffer.from('xxkeyxx');
    const lane = table.lane(batch.subarray(2, 5));
    lane.busy = true;
    batch.write('zzz', 2);
    assert.equal(table.lane(Buffer.from('key')), lane);
  });
});
