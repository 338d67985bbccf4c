import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collector, openBroker, range, tempDir, text, uniqueName, waitFor } from './helpers.ts';

describe('embedded broker: durability across stop and start', () => {
  for (const durability of ['fsync', 'os'] as const) {
    it(`keeps records, topics and committed offsets (durability '${durability}')`, async (t) => {
      const dataDir = tempDir(t);
      const topic = uniqueName('orders');
      const table = uniqueName('table');
      const group = uniqueName('g');
      const first = await openBroker(t, { dataDir, durability });
      await first.admin.createTopic({ name: topic, partitions: 3, retentionMs: 3_600_000, configs: { a: 'b' } });
      await first.admin.createTopic({ name: table, partitions: 1, compacted: true });
      const producer = first.producer();
      const sent = await producer.send([
        {
          topic,
          partition: 0,
          key: Buffer.from('k'),
          value: Buffer.from('v1'),
          headers: { trace: 'abc', ü: 'ß' },
          timestamp: 1_000,
        },
        { topic, partition: 2, key: null, value: null },
        { topic, partition: 2, value: Buffer.alloc(0) },
        { topic: table, key: Buffer.from('row'), value: null },
      ]);
      const consumer = first.consumer({ group, topics: [topic] });
      const listener = collector();
      await consumer.start(listener);
      await waitFor(() => listener.records.length === 3, 'three records');
      await consumer.commit([{ topic, partition: 2, offset: 1 }]);
      await first.stop();

      const second = await openBroker(t, { dataDir, durability });
      const topics = await second.admin.listTopics();
      assert.deepEqual(
        topics.map((info) => [info.name, info.compacted, info.partitions.length]).sort(),
        [
          [table, true, 1],
          [topic, false, 3],
        ].sort(),
      );
      const keyed = sent[0];
      const [record] = await second.admin.read(keyed, 1);
      assert.deepEqual(
        [record.offset, text(record.key), text(record.value), record.headers, record.timestamp],
        [keyed.offset, 'k', 'v1', { trace: 'abc', ü: 'ß' }, 1_000],
      );
      const tail = await second.admin.read({ topic, partition: 2, offset: 0 }, 10);
      assert.deepEqual(
        tail.map((r) => [r.offset, r.key, r.value?.length ?? null]),
        [
          [0, null, null],
          [1, null, 0],
        ],
      );
      const [tombstone] = await second.admin.read({ topic: table, partition: 0, offset: 0 }, 1);
      assert.equal(tombstone.value, null);

      const described = await second.admin.describeGroup(group);
      assert.deepEqual(
        described.offsets.map((o) => [o.partition, o.committed, o.latest, o.lag]),
        [[2, 1, 2, 1]],
      );
      // Offsets continue where they were; the resumed group gets only what it had not committed.
      const [next] = await second.producer().send([{ topic, partition: 2, value: Buffer.from('after') }]);
      assert.equal(next.offset, 2);
      const again = collector();
      await second.consumer({ group, topics: [topic] }).start(again);
      await waitFor(() => again.records.length >= 3, 'the uncommitted and new records');
      assert.deepEqual(
        again.records
          .filter((r) => r.partition === 2)
          .map((r) => r.offset)
          .sort(),
        [1, 2],
      );
    });
  }

  it('keeps the next offset when retention or compaction removed the newest records', async (t) => {
    const dataDir = tempDir(t);
    const topic = uniqueName('short');
    const first = await openBroker(t, { dataDir, deleteRetentionMs: 0 });
    await first.admin.createTopic({ name: topic, partitions: 1, compacted: true });
    await first
      .producer()
      .send(range(5).map((i) => ({ topic, key: Buffer.from('same'), value: i === 4 ? null : Buffer.from(`${i}`) })));
    assert.equal(await first.compactNow(topic), 5);
    await first.stop();
    const second = await openBroker(t, { dataDir });
    const [partition] = (await second.admin.describeTopic(topic)).partitions;
    assert.deepEqual(partition, { partition: 0, earliest: 5, latest: 5 });
    const [next] = await second.producer().send([{ topic, key: Buffer.from('x'), value: Buffer.from('y') }]);
    assert.equal(next.offset, 5);
  });
});
