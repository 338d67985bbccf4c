import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { jsonCodec } from '../../../../src/codec/json.ts';
import { OrderChecker } from '../checker.ts';
import { json, type RuntimeTest, sleep } from '../harness.ts';

interface Item {
  key: string;
  seq: number;
}

export function orderingTests(test: RuntimeTest): void {
  describe('ordering', () => {
    test('per key in order under concurrency, random delays and injected failures', async (h) => {
      const keys = 30;
      const perKey = 15;
      const topic = await h.topic(3);
      const group = h.group();
      await h.send(
        Array.from({ length: perKey }, (_, seq) =>
          Array.from({ length: keys }, (_, k) => ({
            topic,
            key: Buffer.from(`k${k}`),
            value: json({ key: `k${k}`, seq }),
          })),
        ).flat(),
      );
      const checker = new OrderChecker();
      let failures = 0;
      const router = h.router({ retry: { initialDelayMs: 2, maxDelayMs: 10, maxAttempts: 10 }, maxInFlight: 40 });
      router.handle<Item>(
        topic,
        group,
        async (m) => {
          const { key, seq } = m.value;
          checker.start(key, seq);
          await sleep(Math.random() * 4);
          // Injected failures: retriable, so each record is retried in place, holding back only its key.
          const fail = m.handling.attempts <= 2 && Math.random() < 0.15;
          checker.end(key, seq, !fail);
          if (fail) {
            failures += 1;
            throw new Error(`injected failure of ${key}#${seq}`);
          }
        },
        { codec: jsonCodec<Item>(), concurrency: 8 },
      );
      await router.start();
      await h.waitFor(
        () => checker.completed === keys * perKey || checker.violations.length > 0,
        () => `${keys * perKey} records; ${checker.completed} done`,
      );
      await router.stop();
      assert.deepEqual(checker.violations, []);
      assert.ok(failures > 0, 'no failure was injected');
      assert.ok(checker.maxConcurrent > 1, 'records never ran concurrently');
      await h.assertCommittedToEnd(group, topic);
    });

    test('partition mode runs one record of a partition at a time, in offset order', async (h) => {
      const topic = await h.topic(2);
      const group = h.group();
      await h.send(Array.from({ length: 60 }, (_, i) => ({ topic, key: Buffer.from(`k${i % 7}`), value: json(i) })));
      const seen = new Map<number, number[]>();
      const running = new Set<number>();
      let overlap = false;
      const router = h.router({ mode: 'partition', concurrency: 8 });
      router.handle(topic, group, async (m) => {
        if (running.has(m.partition)) overlap = true;
        running.add(m.partition);
        await sleep(Math.random() * 2);
        running.delete(m.partition);
        seen.set(m.partition, [...(seen.get(m.partition) ?? []), m.offset]);
      });
      await router.start();
      await h.waitFor(
        () => [...seen.values()].reduce((n, l) => n + l.length, 0) === 60,
        () => `60 records; saw ${[...seen.values()].flat().length}`,
      );
      assert.equal(overlap, false);
      for (const offsets of seen.values())
        assert.deepEqual(
          offsets,
          [...offsets].sort((a, b) => a - b),
        );
    });
  });
}
