import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type HarnessTest, latestOffsets, range, readPartition, text } from './helpers.ts';
import { collect, record } from './recorder.ts';

const b = (s: string) => Buffer.from(s);

export function compactionTests(test: HarnessTest): void {
  describe('compaction and retention', () => {
    test('compaction keeps the latest record per key at its offset and drops deleted keys', async (h) => {
      const compaction = h.features.compaction;
      if (compaction === null) {
        h.t.skip('this broker cannot be made to compact on demand');
        return;
      }
      const topic = await h.topic(1, { compacted: true, configs: compaction.topicConfigs });
      await h.producer().send([
        { topic, key: b('k1'), value: b('k1-a') },
        { topic, key: b('k2'), value: b('k2-a') },
        { topic, key: b('k1'), value: b('k1-b') },
        { topic, key: b('k3'), value: b('k3-a') },
        { topic, key: b('k2'), value: null },
        { topic, key: b('k1'), value: b('k1-c') },
        { topic, key: b('k4'), value: b('k4-a') },
        { topic, key: b('k3'), value: b('k3-b') },
      ]);
      await compaction.force(h.broker, topic);

      const survivors = [
        ...(compaction.keepsTombstones ? [[4, 'k2', null]] : []),
        [5, 'k1', 'k1-c'],
        [6, 'k4', 'k4-a'],
        [7, 'k3', 'k3-b'],
      ];
      const stored = await readPartition(h.broker, topic, 0);
      assert.deepEqual(
        stored.map((r) => [r.offset, text(r.key), text(r.value)]),
        survivors,
      );
      assert.deepEqual(await latestOffsets(h.broker, topic), [8]);
      const fromGap = await h.broker.admin.read({ topic, partition: 0, offset: 1 }, 2);
      assert.deepEqual(
        fromGap.map((r) => r.offset),
        survivors.map(([offset]) => offset).slice(0, 2),
        'read from a compacted-away offset does not start at the next survivor',
      );
      const consumed = await collect(await record(h.consumer({ topics: [topic] })), survivors.length, h.timeoutMs);
      assert.deepEqual(
        consumed.map((r) => [r.offset, text(r.key), text(r.value)]),
        survivors,
      );
      const [next] = await h.producer().send([{ topic, key: b('k5'), value: b('k5-a') }]);
      assert.equal(next.offset, 8);
    });

    test('retention drops the oldest records; reads and new groups start at the earliest kept', async (h) => {
      const retention = h.features.retention;
      if (retention === null) {
        h.t.skip('this broker cannot be made to apply retention on demand');
        return;
      }
      const topic = await h.topic(1, { retentionBytes: 4096 });
      const producer = h.producer();
      for (const call of range(10)) {
        await producer.send(range(10, call * 10).map((i) => ({ topic, value: Buffer.alloc(200, `${i % 10}`) })));
      }
      await retention.force(h.broker, topic);

      const [info] = (await h.broker.admin.describeTopic(topic)).partitions;
      assert.equal(info.latest, 100);
      assert.ok(info.earliest > 0, 'retention deleted nothing');
      assert.ok(info.earliest < 100, 'retention deleted everything');
      const [first] = await h.broker.admin.read({ topic, partition: 0, offset: 0 }, 1);
      assert.equal(first.offset, info.earliest, 'read below the earliest offset is not clamped to it');
      const kept = await readPartition(h.broker, topic, 0);
      assert.deepEqual(
        kept.map((r) => r.offset),
        range(100 - info.earliest, info.earliest),
      );
      const group = h.group();
      const consumed = await collect(await record(h.consumer({ group, topics: [topic] })), kept.length, h.timeoutMs);
      assert.deepEqual(
        consumed.map((r) => r.offset),
        kept.map((r) => r.offset),
      );
      const { offsets } = await h.broker.admin.describeGroup(group);
      assert.deepEqual(
        offsets.map((o) => [o.partition, o.committed, o.latest, o.lag]),
        [[0, null, 100, 100 - info.earliest]],
        'lag without a commit is latest - earliest',
      );
    });
  });
}
