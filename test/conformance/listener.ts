import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type HarnessTest, range, sleep } from './helpers.ts';
import { collect, Recorder, record } from './recorder.ts';

export function listenerTests(test: HarnessTest): void {
  describe('listener contract', () => {
    test('batches respect maxBatchSize and a partition waits for its previous batch to settle', async (h) => {
      const topic = await h.topic(2);
      await h
        .producer()
        .send(
          range(2).flatMap((partition) =>
            range(30).map((i) => ({ topic, partition, value: Buffer.from(`p${partition}-${i}`) })),
          ),
        );
      // Slow batches: a consumer that did not wait would hand over the next batch of the partition meanwhile.
      const recorder = new Recorder({ onBatch: () => sleep(5) });
      await record(h.consumer({ topics: [topic], maxBatchSize: 4 }), recorder);
      const got = await collect(recorder, 60, h.timeoutMs);
      assert.equal(got.length, 60);
      const tooBig = recorder.batchSizes.filter((size) => size > 4);
      assert.deepEqual(tooBig, [], 'batches larger than maxBatchSize');
      for (const partition of [0, 1]) {
        assert.deepEqual(
          got.filter((r) => r.partition === partition).map((r) => r.offset),
          range(30),
        );
      }
    });

    test('seek from inside onRecords decides where the next batch of the partition starts', async (h) => {
      const topic = await h.topic(1);
      await h.producer().send(range(10).map((i) => ({ topic, value: Buffer.from(`v${i}`) })));
      let sought = false;
      const recorder: Recorder = new Recorder({
        onBatch(records) {
          if (!sought && records[records.length - 1].offset >= 4) {
            sought = true;
            recorder.seek({ topic, partition: 0, offset: 2 });
          }
        },
      });
      await record(h.consumer({ topics: [topic], maxBatchSize: 5 }), recorder);
      const got = await collect(recorder, 13, h.timeoutMs);
      assert.deepEqual(
        got.map((r) => r.offset),
        [...range(5), ...range(8, 2)],
      );
    });

    test('pause from inside onRecords holds the partition back from the next batch on', async (h) => {
      const topic = await h.topic(2);
      const consumer = h.consumer({ topics: [topic], maxBatchSize: 5 });
      const recorder = new Recorder({
        onBatch(records) {
          if (records[0].partition === 0 && records[0].offset === 0) consumer.pause([{ topic, partition: 0 }]);
        },
      });
      await record(consumer, recorder);
      await h.producer().send(range(10).map((i) => ({ topic, partition: 0, value: Buffer.from(`p0-${i}`) })));
      await h.producer().send(range(20).map((i) => ({ topic, partition: 1, value: Buffer.from(`p1-${i}`) })));
      const before = await collect(recorder, 25, h.timeoutMs);
      assert.deepEqual(
        before.filter((r) => r.partition === 0).map((r) => r.offset),
        range(5),
      );
      consumer.resume([{ topic, partition: 0 }]);
      const got = await collect(recorder, 30, h.timeoutMs);
      assert.deepEqual(
        got.filter((r) => r.partition === 0).map((r) => r.offset),
        range(10),
      );
    });

    test('a batch whose handler throws is neither committed nor handed over again', async (h) => {
      const topic = await h.topic(1);
      const group = h.group();
      await h.producer().send(range(10).map((i) => ({ topic, value: Buffer.from(`v${i}`) })));
      let thrown = 0;
      const recorder = new Recorder({
        onBatch(records) {
          if (records[0].offset === 0) {
            thrown += 1;
            throw new Error('handler failed on purpose');
          }
        },
      });
      const consumer = h.consumer({ group, topics: [topic], maxBatchSize: 5 });
      await record(consumer, recorder);
      const got = await collect(recorder, 10, h.timeoutMs);
      assert.deepEqual(
        got.map((r) => r.offset),
        range(10),
      );
      assert.equal(thrown, 1);
      const { offsets } = await h.broker.admin.describeGroup(group);
      assert.deepEqual(
        offsets.map((o) => [o.partition, o.committed, o.lag]),
        [[0, null, 10]],
      );
      await consumer.close();

      const again = await collect(await record(h.consumer({ group, topics: [topic] })), 10, h.timeoutMs);
      assert.deepEqual(
        again.map((r) => r.offset),
        range(10),
      );
    });
  });
}
