import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { GroupOffset, TopicInfo } from '../../src/broker/port.ts';
import { createBroker } from '../../src/broker/index.ts';
import { type HarnessTest, range, rejectsWithCode, sortTps, texts, tpKey, uniqueName } from './helpers.ts';
import { collect, Recorder, record } from './recorder.ts';

/** A topic description with partitions in order, as plain values. */
function plainTopic(info: TopicInfo): TopicInfo {
  return {
    name: info.name,
    compacted: info.compacted,
    partitions: [...info.partitions]
      .sort((a, b) => a.partition - b.partition)
      .map(({ partition, earliest, latest }) => ({ partition, earliest, latest })),
  };
}

function plainOffsets(offsets: GroupOffset[]): GroupOffset[] {
  return sortTps(offsets).map((o) => {
    const { topic, partition, committed, latest, lag } = o as GroupOffset;
    return { topic, partition, committed, latest, lag };
  });
}

export function adminTests(test: HarnessTest): void {
  describe('admin', () => {
    test('topics are created once, listed and described with earliest and latest', async (h) => {
      const plainName = await h.topic(3);
      const compactedName = await h.topic(1, { compacted: true });
      await rejectsWithCode(
        () => h.broker.admin.createTopic({ name: plainName, partitions: 3 }),
        'HERALD_TOPIC_EXISTS',
      );
      const raced = uniqueName('raced');
      h.defer(() => h.broker.admin.deleteTopic(raced).catch(() => {}));
      const outcomes = await Promise.allSettled(
        range(3).map(() => h.broker.admin.createTopic({ name: raced, partitions: 1 })),
      );
      assert.equal(
        outcomes.filter((o) => o.status === 'fulfilled').length,
        1,
        'concurrent creates: not exactly one won',
      );
      for (const o of outcomes) {
        if (o.status === 'rejected') await rejectsWithCode(() => Promise.reject(o.reason), 'HERALD_TOPIC_EXISTS');
      }
      await h.producer().send([
        { topic: plainName, partition: 1, value: Buffer.from('a') },
        { topic: plainName, partition: 1, value: Buffer.from('b') },
        { topic: plainName, partition: 2, value: Buffer.from('c') },
      ]);
      const expected: TopicInfo = {
        name: plainName,
        compacted: false,
        partitions: [
          { partition: 0, earliest: 0, latest: 0 },
          { partition: 1, earliest: 0, latest: 2 },
          { partition: 2, earliest: 0, latest: 1 },
        ],
      };
      assert.deepEqual(plainTopic(await h.broker.admin.describeTopic(plainName)), expected);
      const listed = (await h.broker.admin.listTopics()).filter(
        (t) => t.name === plainName || t.name === compactedName,
      );
      assert.deepEqual(
        listed.map(plainTopic).sort((a, b) => a.name.localeCompare(b.name)),
        [
          expected,
          { name: compactedName, compacted: true, partitions: [{ partition: 0, earliest: 0, latest: 0 }] },
        ].sort((a, b) => a.name.localeCompare(b.name)),
      );
    });

    test('topicStorage tells the bytes stored per partition and the retention in force', async (h) => {
      const limited = await h.topic(2, { retentionMs: 7_200_000, retentionBytes: 1_048_576 });
      const open = await h.topic(1);
      await h.producer().send(range(10).map((i) => ({ topic: limited, partition: 1, key: Buffer.from(`k${i}`), value: Buffer.alloc(100, i) })));
      const storage = await h.broker.admin.topicStorage(limited);
      assert.deepEqual(storage.partitions.map((p) => p.partition).sort(), [0, 1]);
      const bytes = new Map(storage.partitions.map((p) => [p.partition, p.bytes]));
      assert.equal(bytes.get(0), 0, 'nothing in partition 0');
      assert.ok(bytes.get(1)! >= 1_000, `10 records of 100 bytes stored in partition 1: ${bytes.get(1)} bytes`);
      assert.equal(storage.retentionMs, 7_200_000);
      assert.equal(storage.retentionBytes, 1_048_576);
      const unlimited = await h.broker.admin.topicStorage(open);
      assert.equal(unlimited.retentionBytes, null, 'no size limit unless set');
      await rejectsWithCode(() => h.broker.admin.topicStorage(uniqueName('missing')), 'HERALD_TOPIC_NOT_FOUND');
    });

    test('ensureTopic creates a missing topic and leaves an existing one as it is', async (h) => {
      const existing = await h.topic(2);
      await h.producer().send([{ topic: existing, partition: 0, value: Buffer.from('kept') }]);
      await h.broker.admin.ensureTopic({ name: existing, partitions: 5, compacted: true });
      assert.deepEqual(plainTopic(await h.broker.admin.describeTopic(existing)), {
        name: existing,
        compacted: false,
        partitions: [
          { partition: 0, earliest: 0, latest: 1 },
          { partition: 1, earliest: 0, latest: 0 },
        ],
      });
      const missing = uniqueName('ensured');
      h.defer(() => h.broker.admin.deleteTopic(missing).catch(() => {}));
      // Services starting together all ensure the same topic at once.
      await Promise.all(range(3).map(() => h.broker.admin.ensureTopic({ name: missing, partitions: 3 })));
      await h.broker.admin.ensureTopic({ name: missing, partitions: 3 });
      const info = plainTopic(await h.broker.admin.describeTopic(missing));
      assert.deepEqual(
        info.partitions.map((p) => p.partition),
        [0, 1, 2],
      );
    });

    test('a deleted topic and its records are gone', async (h) => {
      const topic = await h.topic(2);
      const keep = await h.topic(1);
      await h.producer().send([
        { topic, value: Buffer.from('x') },
        { topic: keep, value: Buffer.from('y') },
      ]);
      await h.broker.admin.deleteTopic(topic);
      await rejectsWithCode(() => h.broker.admin.describeTopic(topic), 'HERALD_TOPIC_NOT_FOUND');
      await rejectsWithCode(() => h.broker.admin.deleteTopic(topic), 'HERALD_TOPIC_NOT_FOUND');
      await rejectsWithCode(
        () => h.broker.admin.read({ topic, partition: 0, offset: 0 }, 10),
        'HERALD_TOPIC_NOT_FOUND',
      );
      await rejectsWithCode(() => h.producer().send([{ topic, value: Buffer.from('z') }]), 'HERALD_TOPIC_NOT_FOUND');
      const names = (await h.broker.admin.listTopics()).map((t) => t.name);
      assert.ok(!names.includes(topic), 'a deleted topic is still listed');
      assert.ok(names.includes(keep), 'deleting one topic removed another');
      assert.deepEqual(texts(await h.broker.admin.read({ topic: keep, partition: 0, offset: 0 }, 10)), ['y']);

      // The name is free again: a new topic of that name starts empty, with its own partition count.
      await h.broker.admin.createTopic({ name: topic, partitions: 3 });
      assert.deepEqual(plainTopic(await h.broker.admin.describeTopic(topic)), {
        name: topic,
        compacted: false,
        partitions: range(3).map((partition) => ({ partition, earliest: 0, latest: 0 })),
      });
      const [pos] = await h.producer().send([{ topic, partition: 2, value: Buffer.from('new') }]);
      assert.equal(pos.offset, 0);
    });

    test('read returns up to limit records from an offset', async (h) => {
      const topic = await h.topic(2);
      await h.producer().send(range(10).map((i) => ({ topic, partition: 1, value: Buffer.from(`v${i}`) })));
      const read = (offset: number, limit: number) => h.broker.admin.read({ topic, partition: 1, offset }, limit);
      const page = await read(2, 3);
      assert.deepEqual(
        page.map((r) => [r.topic, r.partition, r.offset, r.value?.toString()]),
        [
          [topic, 1, 2, 'v2'],
          [topic, 1, 3, 'v3'],
          [topic, 1, 4, 'v4'],
        ],
      );
      assert.deepEqual(texts(await read(7, 100)), ['v7', 'v8', 'v9']);
      assert.deepEqual(await read(10, 5), []);
      assert.deepEqual(await h.broker.admin.read({ topic, partition: 0, offset: 0 }, 5), []);
    });

    test('a group is described with members, committed offsets, latest and lag', async (h) => {
      const topic = await h.topic(2);
      const group = h.group();
      await h
        .producer()
        .send([
          ...range(5).map((i) => ({ topic, partition: 0, value: Buffer.from(`a${i}`) })),
          ...range(3).map((i) => ({ topic, partition: 1, value: Buffer.from(`b${i}`) })),
        ]);
      await rejectsWithCode(() => h.broker.admin.describeGroup(group), 'HERALD_GROUP_NOT_FOUND');
      const consumer = h.consumer({ group, topics: [topic], clientId: 'describer' });
      const recorder = await record(consumer, new Recorder());
      const joined = await h.broker.admin.describeGroup(group);
      assert.deepEqual(
        joined.members.map((m) => m.clientId),
        ['describer'],
        'start resolved before the member joined',
      );
      await collect(recorder, 8, h.timeoutMs);
      await consumer.commit([{ topic, partition: 0, offset: 2 }]);

      const live = await h.broker.admin.describeGroup(group);
      assert.equal(live.group, group);
      assert.equal(live.members.length, 1);
      assert.equal(live.members[0].clientId, 'describer');
      assert.equal(typeof live.members[0].memberId, 'string');
      assert.deepEqual(sortTps(live.members[0].assignment).map(tpKey), [`${topic}/0`, `${topic}/1`]);
      assert.deepEqual(plainOffsets(live.offsets), [
        { topic, partition: 0, committed: 2, latest: 5, lag: 3 },
        { topic, partition: 1, committed: null, latest: 3, lag: 3 },
      ]);
      assert.ok((await h.broker.admin.listGroups()).includes(group), 'listGroups misses a live group');

      await consumer.close();
      assert.equal(recorder.revoked.flat().length, 2, 'close did not call onRevoked for what it owned');
      const idle = await h.broker.admin.describeGroup(group);
      assert.deepEqual(idle.members, []);
      assert.deepEqual(plainOffsets(idle.offsets), [{ topic, partition: 0, committed: 2, latest: 5, lag: 3 }]);
      assert.ok((await h.broker.admin.listGroups()).includes(group), 'listGroups misses a group with commits');
    });

    test('ping resolves on a started broker', async (h) => {
      await h.broker.ping();
    });

    test('ping or start reports an unreachable broker as HERALD_BROKER_UNAVAILABLE', async (h) => {
      const unreachable = h.features.unreachableSpec;
      if (unreachable === null) {
        h.t.skip('this broker runs in-process; it cannot be unreachable');
        return;
      }
      const broker = await createBroker(unreachable());
      h.defer(() => broker.stop());
      let started = true;
      try {
        await broker.start();
      } catch (err) {
        started = false;
        await rejectsWithCode(() => Promise.reject(err), 'HERALD_BROKER_UNAVAILABLE');
      }
      if (started) await rejectsWithCode(() => broker.ping(), 'HERALD_BROKER_UNAVAILABLE');
    });
  });
}
