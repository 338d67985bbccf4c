import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compatibilityPartitioner, defaultPartitioner, Reader, type RecordsBatch, Writer } from '@platformatic/kafka';
import type { BrokerRecord } from '../../../src/broker/port.ts';
import { decodeBatches, recordBytes } from '../../../src/broker/kafka/records.ts';
import { murmur2, partitionForKey } from '../../../src/broker/partitioner.ts';

function batch(firstOffset: number, records: Partial<RecordsBatch['records'][number]>[], attributes = 0): RecordsBatch {
  return {
    firstOffset: BigInt(firstOffset),
    length: 0,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes,
    lastOffsetDelta: Math.max(0, ...records.map((r) => r.offsetDelta ?? 0)),
    firstTimestamp: 1_000n,
    maxTimestamp: 9_000n,
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    records: records.map((r) => ({
      length: 0,
      attributes: 0,
      timestampDelta: 0n,
      offsetDelta: 0,
      key: null,
      value: null,
      headers: [],
      ...r,
    })),
  };
}

describe('kafka adapter: fetched batches to records', () => {
  it('computes offsets and timestamps, keeps null keys and values, decodes headers as UTF-8', () => {
    const out: BrokerRecord[] = [];
    const next = decodeBatches(
      't',
      3,
      [
        batch(10, [
          { offsetDelta: 0, timestampDelta: 5n, key: Buffer.from('k'), value: Buffer.from('v') },
          {
            offsetDelta: 1,
            timestampDelta: 7n,
            value: null,
            headers: [
              [Buffer.from('h'), Buffer.from('héllo ✓')],
              [Buffer.from('nullish'), null],
            ],
          },
        ]),
      ],
      10,
      out,
    );
    assert.equal(next, 12);
    assert.deepEqual(out, [
      {
        topic: 't',
        partition: 3,
        offset: 10,
        key: Buffer.from('k'),
        value: Buffer.from('v'),
        headers: {},
        timestamp: 1005,
      },
      {
        topic: 't',
        partition: 3,
        offset: 11,
        key: null,
        value: null,
        headers: { h: 'héllo ✓', nullish: '' },
        timestamp: 1007,
      },
    ]);
  });

  it('skips records before the requested offset and control batches, but moves past them', () => {
    const out: BrokerRecord[] = [];
    const next = decodeBatches(
      't',
      0,
      [
        batch(0, [{ offsetDelta: 0 }, { offsetDelta: 1 }, { offsetDelta: 2 }]),
        batch(3, [{ offsetDelta: 0 }], 0x20),
        batch(4, [{ offsetDelta: 0 }, { offsetDelta: 2 }]),
      ],
      2,
      out,
    );
    assert.deepEqual(
      out.map((r) => r.offset),
      [2, 4, 6],
    );
    assert.equal(next, 7);
  });

  it('stops at limit and resumes right after the last record taken', () => {
    const out: BrokerRecord[] = [];
    const next = decodeBatches(
      't',
      0,
      [
        batch(
          0,
          [0, 1, 2, 3].map((offsetDelta) => ({ offsetDelta })),
        ),
      ],
      0,
      out,
      2,
    );
    assert.deepEqual(
      out.map((r) => r.offset),
      [0, 1],
    );
    assert.equal(next, 2);
  });

  it('a compacted batch ending in a hole still advances to its end', () => {
    const out: BrokerRecord[] = [];
    const compacted = batch(0, [{ offsetDelta: 0 }]);
    compacted.lastOffsetDelta = 5;
    assert.equal(decodeBatches('t', 0, [compacted], 0, out), 6);
  });

  it('uses the batch append time on LogAppendTime topics', () => {
    const out: BrokerRecord[] = [];
    decodeBatches('t', 0, [batch(0, [{ offsetDelta: 0, timestampDelta: 3n }], 0x08)], 0, out);
    assert.equal(out[0].timestamp, 9000);
  });
});

describe('kafka adapter: wire size', () => {
  it('estimates the wire size from key, value and headers', () => {
    assert.equal(
      recordBytes({ topic: 't', key: Buffer.from('ab'), value: Buffer.alloc(10), headers: { h: 'é' } }),
      24 + 2 + 10 + 8 + 1 + 2,
    );
  });
});

describe('kafka adapter: why the producer partitions keys itself', () => {
  it("the library's default partitioner disagrees with Java for keys with a negative murmur2 hash", () => {
    const negative = Buffer.from('21'); // murmur2 = -973932308 (a Kafka test vector)
    assert.ok(murmur2(negative) < 0);
    const partitions = 12;
    assert.equal(partitionForKey(negative, partitions), 0, "Java's choice");
    assert.notEqual(defaultPartitioner({ topic: 't' }, negative) % partitions, 0);
    assert.equal(compatibilityPartitioner({ topic: 't' }, negative) % partitions, 0);
  });
});

describe('kafka adapter: why requests are split by timestamp span', () => {
  // If this starts failing, the library's varint64 encoder was fixed and MAX_TIMESTAMP_SPAN_MS can go.
  it('the library encodes 64-bit varints correctly only within the 32-bit range', () => {
    const roundTrip = (v: bigint) => Reader.from(Writer.create().appendVarInt64(v).buffer).readVarInt64();
    for (const v of [0n, 1n, -1n, 2n ** 31n - 1n, -(2n ** 31n)]) assert.equal(roundTrip(v), v);
    assert.notEqual(roundTrip(2n ** 31n), 2n ** 31n);
    assert.notEqual(roundTrip(-(2n ** 31n) - 1n), -(2n ** 31n) - 1n);
  });
});
