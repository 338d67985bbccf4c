import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { murmur2, partitionForKey } from '../../src/broker/partitioner.ts';
import { type HarnessTest, latestOffsets, range, readPartition } from './helpers.ts';

/**
 * Kafka's own murmur2 test vectors (`UtilsTest.testMurmur2` in the Java client), with the partition Kafka picks
 * among 12 partitions: `(murmur2 & 0x7fffffff) % 12`.
 */
const VECTORS: [key: string, hash: number, of12: number][] = [
  ['21', -973932308, 0],
  ['foobar', -790332482, 6],
  ['a-little-bit-long-string', -985981536, 8],
  ['a-little-bit-longer-string', -1486304829, 11],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971, 5],
  ['abc', 479470107, 3],
];

export function partitioningTests(test: HarnessTest): void {
  describe('partitioning', () => {
    it("murmur2 and partitionForKey match Kafka's test vectors", () => {
      for (const [key, hash, of12] of VECTORS) {
        assert.equal(murmur2(Buffer.from(key)), hash, `murmur2(${JSON.stringify(key)})`);
        assert.equal(partitionForKey(Buffer.from(key), 12), of12, `partitionForKey(${JSON.stringify(key)}, 12)`);
      }
    });

    test('a keyed record lands in the partition partitionForKey names', async (h) => {
      const partitions = 12;
      const topic = await h.topic(partitions);
      // '' is a key too (an empty Buffer, not null): Kafka hashes it like any other.
      const keys = [...VECTORS.map(([key]) => key), '', ...range(60).map((i) => `key-${i}`)];
      const sent = await h
        .producer()
        .send(keys.map((key) => ({ topic, key: Buffer.from(key), value: Buffer.from(key) })));
      const expected = keys.map((key) => partitionForKey(Buffer.from(key), partitions));
      assert.deepEqual(
        sent.map((p) => p.partition),
        expected,
      );
      assert.deepEqual(
        VECTORS.map((_, i) => sent[i].partition),
        VECTORS.map(([, , of12]) => of12),
      );
      for (const p of new Set(expected)) {
        const stored = await readPartition(h.broker, topic, p);
        const want = keys.filter((_, i) => expected[i] === p);
        assert.deepEqual(
          stored.map((r) => r.key?.toString()),
          want,
          `partition ${p}`,
        );
      }
    });

    test('an explicit partition wins over the key', async (h) => {
      const topic = await h.topic(4);
      const key = Buffer.from('abc'); // partitionForKey('abc', 4) === 3
      assert.equal(partitionForKey(key, 4), 3);
      const sent = await h.producer().send([
        { topic, key, value: Buffer.from('explicit'), partition: 1 },
        { topic, key, value: Buffer.from('by key') },
      ]);
      assert.deepEqual(
        sent.map((p) => [p.partition, p.offset]),
        [
          [1, 0],
          [3, 0],
        ],
      );
      assert.deepEqual(await latestOffsets(h.broker, topic), [0, 1, 0, 1]);
      const [stored] = await h.broker.admin.read({ topic, partition: 1, offset: 0 }, 1);
      assert.equal(stored.value?.toString(), 'explicit');
    });

    test('records without a key spread over more than one partition', async (h) => {
      const topic = await h.topic(4);
      const producer = h.producer();
      const used = new Set<number>();
      // Separate sends of 1 KiB each: a sticky partitioner may fill one partition for a while, but not forever.
      for (const i of range(40)) {
        const [pos] = await producer.send([{ topic, value: Buffer.alloc(1024, i) }]);
        used.add(pos.partition);
      }
      assert.ok(used.size > 1, `all 40 keyless records went to partition ${[...used]}`);
      const latest = await latestOffsets(h.broker, topic);
      assert.equal(
        latest.reduce((a, b) => a + b, 0),
        40,
      );
    });
  });
}
