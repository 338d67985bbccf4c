import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Broker } from '../../src/broker/port.ts';
import { type Harness, type HarnessTest, range, readPartition, sleep, texts } from './helpers.ts';
import { collect, positions, Recorder, record } from './recorder.ts';

/** Sends `count` records to each partition (explicitly), values `p<partition>-<i>`. */
async function fill(h: Harness, topic: string, partitions: number, count: number, from = 0, on?: Broker) {
  const records = range(partitions).flatMap((partition) =>
    range(count, from).map((i) => ({ topic, partition, value: Buffer.from(`p${partition}-${i}`) })),
  );
  await h.producer(on).send(records);
}

function at(topic: string, partition: number, offsets: number[]): string[] {
  return positions(offsets.map((offset) => ({ topic, partition, offset })));
}

export function offsetTests(test: HarnessTest): void {
  describe('offsets', () => {
    test('a new consumer of the group resumes at the committed offsets', async (h) => {
      const topic = await h.topic(2);
      const group = h.group();
      await fill(h, topic, 2, 10);
      const first = h.consumer({ group, topics: [topic] });
      await collect(await record(first), 20, h.timeoutMs);
      await first.commit([
        { topic, partition: 0, offset: 4 },
        { topic, partition: 1, offset: 7 },
      ]);
      await first.close();

      const second = await record(h.consumer({ group, topics: [topic] }));
      const got = await collect(second, 9, h.timeoutMs);
      assert.deepEqual(positions(got), [...at(topic, 0, range(6, 4)), ...at(topic, 1, range(3, 7))].sort());
      assert.deepEqual(second.violations, []);
    });

    test('records and committed offsets survive a broker restart', async (h) => {
      const topic = await h.topic(1);
      const compacted = await h.topic(3, { compacted: true });
      const group = h.group();
      await fill(h, topic, 1, 10);
      const first = h.consumer({ group, topics: [topic] });
      await collect(await record(first), 10, h.timeoutMs);
      await first.commit([{ topic, partition: 0, offset: 6 }]);
      const before = await readPartition(h.broker, topic, 0);
      const topicsBefore = await Promise.all([topic, compacted].map((name) => h.broker.admin.describeTopic(name)));
      await h.broker.stop();

      const again = await h.open();
      assert.deepEqual(
        await Promise.all([topic, compacted].map((name) => again.admin.describeTopic(name))),
        topicsBefore,
      );
      assert.ok((await again.admin.listGroups()).includes(group), 'a group with commits is gone after a restart');
      const after = await readPartition(again, topic, 0);
      assert.deepEqual(
        after.map((r) => [r.offset, r.value, r.timestamp]),
        before.map((r) => [r.offset, r.value, r.timestamp]),
      );
      const [next] = await h.producer(again).send([{ topic, value: Buffer.from('p0-10') }]);
      assert.equal(next.offset, 10);
      const second = await record(h.consumer({ group, topics: [topic] }, again));
      const got = await collect(second, 5, h.timeoutMs);
      assert.deepEqual(
        got.map((r) => r.offset),
        [6, 7, 8, 9, 10],
      );
      assert.deepEqual(texts(got), ['p0-6', 'p0-7', 'p0-8', 'p0-9', 'p0-10']);
    });

    test("a new group with startAt 'earliest' starts at the first record", async (h) => {
      const topic = await h.topic(1);
      await fill(h, topic, 1, 5);
      const got = await collect(await record(h.consumer({ topics: [topic], startAt: 'earliest' })), 5, h.timeoutMs);
      assert.deepEqual(
        got.map((r) => r.offset),
        range(5),
      );
    });

    test("a new group with startAt 'latest' skips what was there and misses nothing after", async (h) => {
      const topic = await h.topic(1);
      await fill(h, topic, 1, 5);
      const recorder = await record(h.consumer({ topics: [topic], startAt: 'latest' }));
      // When 'latest' is resolved is the broker's business; keep producing until the consumer sees something.
      const deadline = Date.now() + h.timeoutMs;
      let last = 4;
      const producer = h.producer();
      while (recorder.records.length === 0) {
        assert.ok(Date.now() < deadline, "a 'latest' consumer received nothing");
        [{ offset: last }] = await producer.send([{ topic, value: Buffer.from(`late-${last + 1}`) }]);
        await sleep(50);
      }
      const first = recorder.records[0].offset;
      assert.ok(first >= 5, `a 'latest' consumer received old record ${first}`);
      const got = await collect(recorder, last - first + 1, h.timeoutMs);
      assert.deepEqual(
        got.map((r) => r.offset),
        range(last - first + 1, first),
      );
    });

    test('a committed offset wins over startAt', async (h) => {
      const topic = await h.topic(1);
      const group = h.group();
      await fill(h, topic, 1, 5);
      const first = h.consumer({ group, topics: [topic] });
      await collect(await record(first), 5, h.timeoutMs);
      await first.commit([{ topic, partition: 0, offset: 3 }]);
      await first.close();
      await fill(h, topic, 1, 2, 5);
      const got = await collect(
        await record(h.consumer({ group, topics: [topic], startAt: 'latest' })),
        4,
        h.timeoutMs,
      );
      assert.deepEqual(
        got.map((r) => r.offset),
        [3, 4, 5, 6],
      );
    });

    test('seek moves the next delivery forwards and backwards', async (h) => {
      const topic = await h.topic(1);
      await fill(h, topic, 1, 20);
      const consumer = h.consumer({ topics: [topic] });
      const recorder: Recorder = new Recorder({
        onAssigned: () => recorder.seek({ topic, partition: 0, offset: 15 }),
      });
      await record(consumer, recorder);
      const ahead = await collect(recorder, 5, h.timeoutMs);
      assert.deepEqual(
        ahead.map((r) => r.offset),
        range(5, 15),
      );
      recorder.seek({ topic, partition: 0, offset: 3 });
      const got = await collect(recorder, 22, h.timeoutMs);
      assert.deepEqual(
        got.map((r) => r.offset),
        [...range(5, 15), ...range(17, 3)],
      );
      assert.deepEqual(recorder.violations, []);
    });

    test('a paused partition delivers nothing until resumed, while the others flow', async (h) => {
      const topic = await h.topic(2);
      const consumer = h.consumer({ topics: [topic] });
      const recorder = new Recorder({
        onAssigned: (tps) => consumer.pause(tps.filter((tp) => tp.partition === 0)),
      });
      await record(consumer, recorder);
      await h.producer().send(range(10).map((i) => ({ topic, partition: 0, value: Buffer.from(`p0-${i}`) })));
      await h.producer().send(range(10).map((i) => ({ topic, partition: 1, value: Buffer.from(`p1-${i}`) })));
      await collect(recorder, 10, h.timeoutMs);
      await h.producer().send(range(10, 10).map((i) => ({ topic, partition: 1, value: Buffer.from(`p1-${i}`) })));
      const flowing = await collect(recorder, 20, h.timeoutMs);
      assert.deepEqual(
        texts(flowing),
        range(20).map((i) => `p1-${i}`),
      );
      assert.deepEqual(
        consumer
          .assignment()
          .map((tp) => tp.partition)
          .sort(),
        [0, 1],
      );

      consumer.resume([{ topic, partition: 0 }]);
      const got = await collect(recorder, 30, h.timeoutMs);
      assert.deepEqual(
        texts(got.slice(20)),
        range(10).map((i) => `p0-${i}`),
      );
      assert.deepEqual(recorder.violations, []);
    });
  });
}
