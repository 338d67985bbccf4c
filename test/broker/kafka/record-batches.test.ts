import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBatches } from '../../../src/broker/embedded/kafka-protocol/records/batch.ts';
import type { OutgoingMessage } from '../../../src/broker/kafka/accumulator.ts';
import { encodeRecordBatch } from '../../../src/broker/kafka/record-batches.ts';

const messages: OutgoingMessage[] = [
  { topic: 't', partition: 3, key: Buffer.from('k1'), value: Buffer.from('v1'), headers: { 'h-é': 'ü' }, timestamp: 1_700_000_000_000n },
  { topic: 't', partition: 3, value: Buffer.from('x'.repeat(300)), timestamp: 1_700_000_000_005n },
  // A tombstone: no value.
  { topic: 't', partition: 3, key: Buffer.from('k3'), timestamp: 1_699_999_999_999n },
];

const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('utf8'));

describe('Kafka record batches for produce requests', () => {
  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`${compression}: the records, the producer's id, epoch and sequence, and a valid CRC`, () => {
      const batch = encodeRecordBatch(messages, { producerId: 4242n, producerEpoch: 7 }, 12, compression);
      const [decoded] = decodeBatches(batch, 1 << 20); // checks the CRC and decompresses
      assert.equal(decoded.producerId, 4242);
      assert.equal(decoded.producerEpoch, 7);
      assert.equal(decoded.baseSequence, 12);
      assert.equal(decoded.transactional, false);
      assert.equal(decoded.compression === 0, compression === 'none');
      assert.equal(decoded.lastOffsetDelta, 2);
      assert.equal(decoded.maxTimestamp, 1_700_000_000_005);
      assert.deepEqual(
        decoded.records.map((r) => [r.offsetDelta, r.timestamp, text(r.key), text(r.value), r.headers.map(([n, v]) => [text(n), text(v)])]),
        [
          [0, 1_700_000_000_000, 'k1', 'v1', [['h-é', 'ü']]],
          [1, 1_700_000_000_005, null, 'x'.repeat(300), []],
          [2, 1_699_999_999_999, 'k3', null, []],
        ],
      );
    });
  }

  it('without a producer id (idempotence off) the batch carries -1, as Kafka expects', () => {
    const [decoded] = decodeBatches(encodeRecordBatch(messages, null, 99, 'none'), 1 << 20);
    assert.equal(decoded.producerId, -1);
    assert.equal(decoded.producerEpoch, -1);
    assert.equal(decoded.baseSequence, -1);
  });

  it('a batch of a transaction says so in its attributes', () => {
    const [decoded] = decodeBatches(encodeRecordBatch(messages, { producerId: 1n, producerEpoch: 0 }, 0, 'none', true), 1 << 20);
    assert.equal(decoded.transactional, true);
    assert.equal(decodeBatches(encodeRecordBatch(messages, null, 0, 'none'), 1 << 20)[0].transactional, false);
  });
});
