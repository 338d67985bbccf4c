import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type HarnessTest, latestOffsets, range, rejectsWithCode, texts } from './helpers.ts';
import { collect, Recorder, record } from './recorder.ts';

export function lifecycleTests(test: HarnessTest): void {
  describe('close and stop', () => {
    test('producer close waits for in-flight sends; later sends reject with HERALD_BROKER_CLOSED', async (h) => {
      const topic = await h.topic(1);
      const producer = h.broker.producer();
      const inFlight = producer.send(range(50).map((i) => ({ topic, value: Buffer.from(`v${i}`) })));
      await producer.close();
      const sent = await inFlight;
      assert.deepEqual(
        sent.map((p) => p.offset),
        range(50),
      );
      await rejectsWithCode(() => producer.send([{ topic, value: Buffer.from('late') }]), 'HERALD_BROKER_CLOSED');
      assert.deepEqual(await latestOffsets(h.broker, topic), [50]);
    });

    test('consumer close revokes once, is idempotent, and later commits reject', async (h) => {
      const topic = await h.topic(2);
      await h.producer().send([{ topic, value: Buffer.from('one') }]);
      const consumer = h.consumer({ topics: [topic] });
      const recorder = await record(consumer);
      await collect(recorder, 1, h.timeoutMs);
      await Promise.all([consumer.close(), consumer.close()]);
      await consumer.close();
      assert.deepEqual(
        recorder.revoked
          .flat()
          .map((tp) => tp.partition)
          .sort(),
        [0, 1],
      );
      assert.deepEqual(recorder.ownedKeys(), []);
      await rejectsWithCode(() => consumer.commit([{ topic, partition: 0, offset: 1 }]), 'HERALD_BROKER_CLOSED');
      await rejectsWithCode(() => consumer.start(new Recorder()), 'HERALD_BROKER_CLOSED');

      await h.producer().send(range(5).map((i) => ({ topic, partition: 0, value: Buffer.from(`after-${i}`) })));
      const other = await collect(await record(h.consumer({ topics: [topic] })), 6, h.timeoutMs);
      assert.equal(other.length, 6);
      assert.deepEqual(texts(recorder.records), ['one'], 'a closed consumer still received records');
      assert.deepEqual(recorder.violations, []);
    });

    test('commits made in onRevoked during close are where the group resumes', async (h) => {
      const topic = await h.topic(2);
      const group = h.group();
      await h.producer().send(range(10).map((i) => ({ topic, partition: i % 2, value: Buffer.from(`v${i}`) })));
      const first = h.consumer({ group, topics: [topic] });
      await collect(await record(first, new Recorder({ commitOnRevoke: true })), 10, h.timeoutMs);
      await first.close();
      await h.producer().send(range(4).map((i) => ({ topic, partition: i % 2, value: Buffer.from(`w${i}`) })));
      const got = await collect(await record(h.consumer({ group, topics: [topic] })), 4, h.timeoutMs);
      assert.deepEqual(texts(got).sort(), ['w0', 'w1', 'w2', 'w3']);
    });

    test('broker stop closes its producers and consumers and is idempotent', async (h) => {
      const topic = await h.topic(1);
      const producer = h.broker.producer();
      await producer.send([{ topic, value: Buffer.from('before') }]);
      const consumer = h.broker.consumer({ group: h.group(), topics: [topic] });
      const recorder = await record(consumer, new Recorder());
      await collect(recorder, 1, h.timeoutMs);
      await Promise.all([h.broker.stop(), h.broker.stop()]);
      await h.broker.stop();
      assert.deepEqual(
        recorder.revoked.flat().map((tp) => tp.partition),
        [0],
        'stop did not revoke the consumer',
      );
      await rejectsWithCode(() => producer.send([{ topic, value: Buffer.from('after') }]), 'HERALD_BROKER_CLOSED');
      await rejectsWithCode(() => h.broker.admin.listTopics(), 'HERALD_BROKER_CLOSED');
      // Either refusing to make one or making one that refuses to work is fine.
      await rejectsWithCode(
        () => h.broker.producer().send([{ topic, value: Buffer.from('late') }]),
        'HERALD_BROKER_CLOSED',
      );
      await rejectsWithCode(
        () => h.broker.consumer({ group: h.group(), topics: [topic] }).start(new Recorder()),
        'HERALD_BROKER_CLOSED',
      );
      await consumer.close();
    });
  });
}
