import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordsBatch } from '@platformatic/kafka';
import type { BrokerRecord } from '../../../src/broker/port.ts';
import { decodeBatches } from '../../../src/broker/kafka/records.ts';

const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;

/** A batch of `count` records from `producerId` at `first`; a control batch holds one marker (0 abort, 1 commit). */
function batch(first: number, count: number, producerId: bigint, attributes: number, marker?: number): RecordsBatch {
  const key = marker === undefined ? null : Buffer.from([0, 0, 0, marker]);
  return {
    firstOffset: BigInt(first),
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: count - 1,
    firstTimestamp: 0n,
    maxTimestamp: 0n,
    producerId,
    producerEpoch: 0,
    firstSequence: 0,
    records: Array.from({ length: count }, (_, i) => ({
      length: 0,
      attributes: 0,
      timestampDelta: 0n,
      offsetDelta: i,
      key,
      value: Buffer.from(`p${producerId}-${first + i}`),
      headers: [],
    })),
  };
}

const data = (first: number, count: number, pid: bigint) => batch(first, count, pid, TRANSACTIONAL);
const abort = (at: number, pid: bigint) => batch(at, 1, pid, TRANSACTIONAL | CONTROL, 0);
const commit = (at: number, pid: bigint) => batch(at, 1, pid, TRANSACTIONAL | CONTROL, 1);

function decode(batches: RecordsBatch[], aborted: { producerId: bigint; firstOffset: bigint }[] | null) {
  const out: BrokerRecord[] = [];
  const next = decodeBatches('t', 0, batches, 0, out, Number.POSITIVE_INFINITY, aborted);
  return { next, values: out.map((r) => r.value?.toString()) };
}

describe('kafka adapter: read_committed drops aborted transactions', () => {
  // Producers 1 and 2 interleave; 1 aborts, 2 commits, then 1 writes again in a transaction it commits.
  const log = [data(0, 2, 1n), data(2, 1, 2n), data(3, 1, 1n), abort(4, 1n), commit(5, 2n), data(6, 2, 1n), commit(8, 1n)];

  it('skips the aborted batches of a producer until its abort marker, and keeps the rest', () => {
    const { next, values } = decode(log, [{ producerId: 1n, firstOffset: 0n }]);
    assert.deepEqual(values, ['p2-2', 'p1-6', 'p1-7']);
    assert.equal(next, 9);
  });

  it('drops an aborted transaction whose marker lies beyond this response (fetched in pieces)', () => {
    const { next, values } = decode(log.slice(0, 3), [{ producerId: 1n, firstOffset: 0n }]);
    assert.deepEqual(values, ['p2-2']);
    assert.equal(next, 4);
  });

  it('handles two aborted transactions of one producer in one response', () => {
    const twice = [data(0, 1, 1n), abort(1, 1n), data(2, 1, 1n), abort(3, 1n), data(4, 1, 1n), commit(5, 1n)];
    const { values } = decode(twice, [
      { producerId: 1n, firstOffset: 0n },
      { producerId: 1n, firstOffset: 2n },
    ]);
    assert.deepEqual(values, ['p1-4']);
  });

  it('read_uncommitted (no aborted list) keeps every data record and skips only the markers', () => {
    const { next, values } = decode(log, null);
    assert.deepEqual(values, ['p1-0', 'p1-1', 'p2-2', 'p1-3', 'p1-6', 'p1-7']);
    assert.equal(next, 9);
  });
});
