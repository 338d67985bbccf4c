import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordRow } from '../../../src/broker/embedded/records.ts';
import { TailCache } from '../../../src/broker/embedded/tail-cache.ts';

/** Rows as the writer commits them: offset, timestamp, key, value, headers. */
function params(from: number, count: number, valueBytes = 3): RecordRow[] {
  const out: RecordRow[] = [];
  for (let offset = from; offset < from + count; offset++) {
    out.push([offset, 1_000 + offset, Buffer.from(`k${offset}`), Buffer.alloc(valueBytes, offset % 256), null]);
  }
  return out;
}

const offsets = (rows: unknown[][] | undefined) => rows?.map((row) => row[0]);

describe('embedded tail cache', () => {
  it('serves a contiguous run of the newest rows; anything outside it is left to the query', () => {
    const tail = new TailCache();
    assert.equal(tail.read(0, 10), undefined, 'empty');
    tail.add(params(5, 10));
    tail.add(params(15, 5));
    assert.deepEqual(offsets(tail.read(5, 3)), [5, 6, 7]);
    assert.deepEqual(offsets(tail.read(18, 100)), [18, 19]);
    assert.equal(tail.read(4, 10), undefined, 'below the start');
    assert.equal(tail.read(20, 10), undefined, 'at the end');
    const [row] = tail.read(7, 1)!;
    assert.deepEqual([row[1], Buffer.from(row[2]!).toString(), row[3]!.length, row[4]], [1_007, 'k7', 3, null]);
  });

  it('keeps copies: a producer reusing its buffers does not change what readers get', () => {
    const tail = new TailCache();
    const bound = params(0, 2);
    const [key, value] = [bound[0][2] as Buffer, bound[0][3] as Buffer];
    tail.add(bound);
    value.fill(9);
    key.write('zz');
    const [first] = tail.read(0, 1)!;
    assert.deepEqual([Buffer.from(first[2]!).toString(), [...first[3]!]], ['k0', [0, 0, 0]]);
  });

  it('is bounded by rows and by bytes (always keeping the newest), and starts anew after a gap', () => {
    const tail = new TailCache();
    tail.add(params(0, 5_000));
    assert.equal(tail.start, 5_000 - 4_096);
    const big = new TailCache();
    big.add(params(0, 1, 600_000));
    big.add(params(1, 1, 600_000));
    assert.equal(big.start, 1, 'over the byte bound the oldest went');
    big.add(params(2, 1, 3_000_000));
    assert.deepEqual(offsets(big.read(2, 5)), [2], 'a batch larger than the bound is still kept');
    big.add(params(10, 2));
    assert.equal(big.start, 10, 'a gap (rows deleted in between) restarts the cache');
  });

  it('forgets rows below a deleted offset, or everything', () => {
    const tail = new TailCache();
    tail.add(params(0, 10));
    tail.dropBelow(4);
    assert.equal(tail.start, 4);
    assert.equal(tail.read(3, 1), undefined);
    tail.dropBelow(100);
    assert.equal(tail.start, undefined);
    tail.add(params(10, 3));
    tail.clear();
    assert.equal(tail.read(10, 1), undefined);
  });
});
