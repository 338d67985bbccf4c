import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Broker, ConsumerOptions, GroupConsumer } from '../../../../src/broker/port.ts';
import { json, type RuntimeTest, sleep } from '../harness.ts';

/** The broker, with its consumers' hand-overs and pause/resume counted. */
function spy(broker: Broker, onHandOver: (count: number) => void) {
  const calls = { pause: 0, resume: 0 };
  const consumer = (options: ConsumerOptions): GroupConsumer => {
    const inner = broker.consumer(options);
    return {
      start: (listener) =>
        inner.start({
          onAssigned: (tps) => listener.onAssigned?.(tps),
          onRevoked: (tps) => listener.onRevoked?.(tps),
          onRecords: (records) => {
            onHandOver(records.length);
            return listener.onRecords(records);
          },
        }),
      commit: (positions) => inner.commit(positions),
      commitTransaction: (records, positions) => inner.commitTransaction(records, positions),
      seek: (position) => inner.seek(position),
      pause: (tps) => {
        calls.pause += 1;
        inner.pause(tps);
      },
      resume: (tps) => {
        calls.resume += 1;
        inner.resume(tps);
      },
      assignment: () => inner.assignment(),
      close: () => inner.close(),
    };
  };
  const wrapped: Broker = {
    kind: broker.kind,
    admin: broker.admin,
    start: () => broker.start(),
    ping: () => broker.ping(),
    producer: () => broker.producer(),
    consumer,
    reader: (options) => broker.reader(options),
    stop: () => broker.stop(),
  };
  return { broker: wrapped, calls };
}

export function backpressureTests(test: RuntimeTest): void {
  describe('backpressure', () => {
    test('a partition pauses at maxInFlight records not done and resumes once drained', async (h) => {
      const topic = await h.topic(1);
      const group = h.group();
      const total = 200;
      const maxInFlight = 20;
      const maxBatchSize = 5;
      await h.send(
        Array.from({ length: total }, (_, i) => ({ topic, key: Buffer.from(`k${i % 50}`), value: json(i) })),
      );
      let handedOver = 0;
      let handled = 0;
      let worst = 0;
      const { broker, calls } = spy(h.broker, (count) => {
        handedOver += count;
        worst = Math.max(worst, handedOver - handled);
      });
      const router = h.router({ maxInFlight, concurrency: 2, consumer: { maxBatchSize } }, broker);
      router.handle(topic, group, async () => {
        await sleep(1);
        handled += 1;
      });
      await router.start();
      await h.waitFor(
        () => handled === total,
        () => `${total} records; ${handled} handled`,
      );
      assert.ok(calls.pause >= 1 && calls.resume >= 1, `pause ${calls.pause}, resume ${calls.resume}`);
      assert.ok(worst <= maxInFlight + maxBatchSize, `${worst} records in flight`);
    });
  });
}
