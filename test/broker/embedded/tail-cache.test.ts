import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeBatch } from '../../../src/broker/embedded/kafka-protocol/records/encode-batch.ts';
import type { RecordRow } from '../../../src/broker/embedded/records.ts';
import { TailCache } from '../../../src/broker/embedded/tail-cache.ts';

/** Rows as the writer commits them: offset, timestamp, key, value, headers. */
function rows(from: number, count: number, valueBytes = 3): RecordRow[] {
  const out: RecordRow[] = [];
  for (let offset = from; offset < from + count; offset++) {
    out.push([offset, 1_000 + offset, Buffer.from(`k${offset}`), Buffer.alloc(valueBytes, offset % 256), null]);
  }
  return out;
}

/** A batch as the writer stores it. */
function params(from: number, count: number, valueBytes = 3): Buffer[] {
  return [encodeBatch(rows(from, count, valueBytes), 0, undefined, 0, count, false)];
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

  it('decodes a batch once, when first read, for every reader', () => {
    const tail = new TailCache();
    tail.add([...params(0, 3), ...params(3, 3)]);
    const first = tail.read(1, 10)!;
    assert.deepEqual(offsets(first), [1, 2, 3, 4, 5]);
    const again = tail.read(4, 10)!;
    assert.equal(again[0], first[3], 'the same decoded row');
    assert.deepEqual(offsets(tail.read(5, 10)), [5]);
  });

  it('is bounded by rows and by bytes (always keeping the newest batch), and starts anew after a gap', () => {
    const tail = new TailCache();
    tail.add(params(0, 5_000));
    assert.equal(tail.start, 0, 'one batch over the bound is kept whole');
    tail.add(params(5_000, 1_000));
    assert.equal(tail.start, 5_000);
    tail.add(params(6_000, 1_000));
    assert.equal(tail.start, 5_000, '2,000 rows are within the bound');
    const big = new TailCache();
    big.add(params(0, 1, 600_000));
    big.add(params(1, 1, 600_000));
    assert.equal(big.start, 1, 'over the byte bound the oldest went');
    big.add(params(2, 1, 3_000_000));
    assert.deepEqual(offsets(big.read(2, 5)), [2], 'a batch larger than the bound is still kept');
    big.add(params(10, 2));
    assert.equal(big.start, 10, 'a gap (rows deleted in between) restarts the cache');
  });

  it('forgets batches wholly below a deleted offset, or everything', () => {
    const tail = new TailCache();
    tail.add([...params(0, 4), ...params(4, 6)]);
    tail.dropBelow(6);
    assert.equal(tail.start, 4, 'the batch reaching 6 stays (the log reads from its start on)');
    assert.equal(tail.read(3, 1), undefined);
    tail.dropBelow(100);
    assert.equal(tail.start, undefined);
    tail.add(params(10, 3));
    tail.clear();
    assert.equal(tail.read(10, 1), undefined);
  });
});
