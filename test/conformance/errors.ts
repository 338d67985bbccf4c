import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { OutgoingRecord } from '../../src/broker/port.ts';
import { MAX_PARTITIONS } from '../../src/broker/rules.ts';
import { type HarnessTest, latestOffsets, rejectsWithCode, uniqueName } from './helpers.ts';
import { Recorder, record } from './recorder.ts';

/** A record that type-checks but carries a bad value at run time, as untyped callers send. */
function bad(record: Record<string, unknown>): OutgoingRecord {
  return record as unknown as OutgoingRecord;
}

export function errorTests(test: HarnessTest): void {
  describe('bad arguments', () => {
    test('bad topic names and partition counts are rejected and create nothing', async (h) => {
      const names = ['', 'has space', 'slash/name', '.', '..', 'x'.repeat(250), 'ünïcode', 'new\nline'];
      for (const name of names) {
        await rejectsWithCode(() => h.broker.admin.createTopic({ name, partitions: 1 }), 'HERALD_INVALID_ARGUMENT');
      }
      const name = uniqueName('bad-count');
      // Above the port's cap on every broker (only the embedded one once capped it).
      for (const partitions of [0, -1, 1.5, Number.NaN, MAX_PARTITIONS + 1]) {
        await rejectsWithCode(() => h.broker.admin.createTopic({ name, partitions }), 'HERALD_INVALID_ARGUMENT');
        await rejectsWithCode(() => h.broker.admin.ensureTopic({ name, partitions }), 'HERALD_INVALID_ARGUMENT');
      }
      await rejectsWithCode(() => h.broker.admin.describeTopic(name), 'HERALD_TOPIC_NOT_FOUND');
      // Only these names: other clients of a shared server may create topics meanwhile.
      const listed = (await h.broker.admin.listTopics()).map((t) => t.name);
      assert.deepEqual(
        listed.filter((t) => t === name || names.includes(t)),
        [],
        'a rejected topic was created',
      );
    });

    test('a send naming an unknown topic is rejected and writes nothing', async (h) => {
      const topic = await h.topic(1);
      const missing = uniqueName('missing');
      await rejectsWithCode(
        () =>
          h.producer().send([
            { topic, value: Buffer.from('fine') },
            { topic: missing, value: Buffer.from('lost') },
          ]),
        'HERALD_TOPIC_NOT_FOUND',
      );
      await rejectsWithCode(() => h.broker.admin.describeTopic(missing), 'HERALD_TOPIC_NOT_FOUND');
      assert.deepEqual(await latestOffsets(h.broker, topic), [0]);
    });

    test('a partition outside the topic is rejected and the whole send writes nothing', async (h) => {
      const topic = await h.topic(2);
      const producer = h.producer();
      for (const partition of [2, 100]) {
        await rejectsWithCode(
          () =>
            producer.send([
              { topic, partition: 0, value: Buffer.from('fine') },
              { topic, partition, value: Buffer.from('bad') },
            ]),
          'HERALD_PARTITION_OUT_OF_RANGE',
        );
      }
      assert.deepEqual(await latestOffsets(h.broker, topic), [0, 0]);
    });

    test('malformed records are rejected with HERALD_INVALID_ARGUMENT and the send writes nothing', async (h) => {
      const topic = await h.topic(2);
      const producer = h.producer();
      const malformed = [
        bad({ topic, value: 'a string' }),
        bad({ topic, value: { not: 'a buffer' } }),
        bad({ topic, value: 42 }),
        bad({ topic, value: Buffer.from('v'), key: 'a string key' }),
        bad({ topic, value: Buffer.from('v'), headers: { count: 3 } }),
        bad({ topic, value: Buffer.from('v'), timestamp: Number.NaN }),
        bad({ topic, value: Buffer.from('v'), partition: 0.5 }),
        bad({ topic: '', value: Buffer.from('v') }),
        // The same answer on every broker, where they once differed: Kafka refused these while the embedded
        // broker truncated the fraction, stored the huge value, or reported the negative partition as out of range.
        bad({ topic, value: Buffer.from('v'), timestamp: 1_700_000_000_000.5 }),
        bad({ topic, value: Buffer.from('v'), timestamp: Number.MAX_VALUE }),
        bad({ topic, value: Buffer.from('v'), timestamp: 2 ** 53 }),
        bad({ topic, value: Buffer.from('v'), partition: -1 }),
        bad({ topic, value: undefined }),
      ];
      for (const record of malformed) {
        await rejectsWithCode(
          () => producer.send([{ topic, partition: 0, value: Buffer.from('fine') }, record]),
          'HERALD_INVALID_ARGUMENT',
        );
      }
      assert.deepEqual(await latestOffsets(h.broker, topic), [0, 0]);
      // The producer is still usable after rejected calls.
      const [ok] = await producer.send([{ topic, partition: 1, value: Buffer.from('fine') }]);
      assert.deepEqual([ok.partition, ok.offset], [1, 0]);
    });

    test('reads and descriptions of things that do not exist are rejected with their codes', async (h) => {
      const topic = await h.topic(2);
      const missing = uniqueName('missing');
      const { admin } = h.broker;
      await rejectsWithCode(() => admin.describeTopic(missing), 'HERALD_TOPIC_NOT_FOUND');
      await rejectsWithCode(() => admin.deleteTopic(missing), 'HERALD_TOPIC_NOT_FOUND');
      await rejectsWithCode(() => admin.read({ topic: missing, partition: 0, offset: 0 }, 1), 'HERALD_TOPIC_NOT_FOUND');
      await rejectsWithCode(() => admin.read({ topic, partition: 2, offset: 0 }, 1), 'HERALD_PARTITION_OUT_OF_RANGE');
      await rejectsWithCode(() => admin.describeGroup(uniqueName('nobody')), 'HERALD_GROUP_NOT_FOUND');
    });

    test('bad positions and limits are rejected the same way by every broker', async (h) => {
      const topic = await h.topic(1);
      const { admin } = h.broker;
      const at = (position: Record<string, unknown>) => position as unknown as { topic: string; partition: number; offset: number };
      for (const position of [
        at({ topic: 'not a name', partition: 0, offset: 0 }),
        at({ topic, partition: -1, offset: 0 }),
        at({ topic, partition: 0, offset: -1 }),
        at({ topic, partition: 0, offset: 0.5 }),
      ]) {
        await rejectsWithCode(() => admin.read(position, 1), 'HERALD_INVALID_ARGUMENT');
      }
      for (const limit of [0, -1, 1.5]) {
        await rejectsWithCode(() => admin.read({ topic, partition: 0, offset: 0 }, limit), 'HERALD_INVALID_ARGUMENT');
      }
      const consumer = h.consumer({ group: h.group(), topics: [topic] });
      await record(consumer);
      await rejectsWithCode(
        async () => consumer.commit([at({ topic: 'not a name', partition: 0, offset: 0 })]),
        'HERALD_INVALID_ARGUMENT',
      );
      await rejectsWithCode(async () => consumer.commit([at({ topic, partition: 0, offset: 1.5 })]), 'HERALD_INVALID_ARGUMENT');
    });

    test('bad consumer options are rejected with HERALD_INVALID_ARGUMENT', async (h) => {
      const topic = await h.topic(1);
      for (const options of [
        { group: '', topics: [topic] },
        { group: uniqueName('g'), topics: [] },
      ]) {
        await rejectsWithCode(async () => {
          const consumer = h.broker.consumer(options);
          h.defer(() => consumer.close());
          await consumer.start(new Recorder());
        }, 'HERALD_INVALID_ARGUMENT');
      }
    });

    test('committing a partition the member does not own is rejected with HERALD_NOT_ASSIGNED', async (h) => {
      const mine = await h.topic(1);
      const other = await h.topic(1);
      const group = h.group();
      const consumer = h.consumer({ group, topics: [mine] });
      const recorder = await record(consumer);
      await rejectsWithCode(() => consumer.commit([{ topic: other, partition: 0, offset: 0 }]), 'HERALD_NOT_ASSIGNED');
      const { offsets } = await h.broker.admin.describeGroup(group);
      assert.deepEqual(
        offsets.filter((o) => o.topic === other),
        [],
        'a rejected commit was stored',
      );
      assert.deepEqual(recorder.violations, []);
    });
  });
}
