import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { jsonCodec } from '../../../../src/codec/json.ts';
import { HeraldError } from '../../../../src/errors.ts';
import { DLQ_HEADERS } from '../../../../src/runtime/dlq/envelope.ts';
import { deadLetterTopicName } from '../../../../src/runtime/names.ts';
import { json, type RuntimeTest } from '../harness.ts';

export function failureTests(test: RuntimeTest): void {
  describe('failures', () => {
    test('a failing key holds back only itself; the commit never passes it', async (h) => {
      const topic = await h.topic(1);
      const group = h.group();
      const records = [
        ...Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: i })),
        { key: 'bad', value: 'bad#0' },
        ...Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 10}`, value: 100 + i })),
        { key: 'bad', value: 'bad#1' },
        ...Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 200 + i })),
      ];
      const badOffset = 5;
      await h.send(records.map((r) => ({ topic, key: Buffer.from(r.key), value: json(r.value) })));
      const handled: unknown[] = [];
      let badAttempts = 0;
      // Retries effectively forever, so the bad record is still waiting when the router stops.
      const retry = { initialDelayMs: 10, maxDelayMs: 40, maxAttempts: 1_000_000, maxElapsedMs: 3_600_000 };
      const first = h.router({ retry, concurrency: 4 });
      first.handle(
        topic,
        group,
        async (m) => {
          if (m.key === 'bad') {
            badAttempts += 1;
            throw new HeraldError('HERALD_DESTINATION_FAILED', 'destination down');
          }
          handled.push(m.value);
        },
        { codec: jsonCodec() },
      );
      await first.start();
      await h.waitFor(
        () => handled.length === records.length - 2 && badAttempts >= 3,
        () => `every record but the bad key's; handled ${handled.length}, bad attempts ${badAttempts}`,
      );
      await first.stop();
      assert.ok(!handled.includes('bad#1'), 'the record after the failing one of its key ran');
      assert.deepEqual(await h.committed(group, topic), [badOffset]);

      // The destination is back: a new instance gets the failing record first, then the rest of its key.
      const second = h.router();
      const after: unknown[] = [];
      second.handle(topic, group, async (m) => void after.push(m.value), { codec: jsonCodec() });
      await second.start();
      await h.waitFor(
        () => after.includes('bad#1'),
        () => `bad#1 after the restart; saw ${JSON.stringify(after)}`,
      );
      assert.ok(after.indexOf('bad#0') < after.indexOf('bad#1'));
      assert.ok(after.indexOf('bad#0') >= 0);
    });

    test('dead letters carry the origin, the error and the attempts; the key moves on', async (h) => {
      const topic = await h.topic(2);
      const group = h.group();
      const headers = { 'x-custom': 'kept', 'herald.correlation-id': 'corr-7' };
      const positions = await h.producer().send([
        { topic, key: Buffer.from('poison'), value: Buffer.from('{not json'), headers },
        { topic, key: Buffer.from('flaky'), value: json({ n: 1 }), headers },
        { topic, key: Buffer.from('flaky'), value: json({ n: 2 }) },
        { topic, key: Buffer.from('poison'), value: json({ n: 3 }) },
      ]);
      const handled: number[] = [];
      const router = h.router({ retry: { initialDelayMs: 5, maxAttempts: 3 } });
      router.handle<{ n: number }>(
        topic,
        group,
        async (m) => {
          if (m.value.n === 1) throw new Error('always fails');
          handled.push(m.value.n);
        },
        { codec: jsonCodec<{ n: number }>() },
      );
      await router.start();
      await h.waitFor(
        () => handled.length === 2,
        () => `records 2 and 3; got ${handled}`,
      );
      const dlq = deadLetterTopicName(topic, group);
      await h.waitFor(
        async () => (await h.readAll(dlq).catch(() => [])).length === 2,
        () => `two dead letters in ${dlq}`,
      );
      await router.stop();
      const letters = await h.readAll(dlq);
      const byKey = new Map(letters.map((r) => [r.key?.toString(), r]));

      const poison = byKey.get('poison')!;
      assert.equal(poison.value?.toString(), '{not json');
      assert.equal(poison.headers[DLQ_HEADERS.errorCode], 'HERALD_DECODE_FAILED');
      assert.equal(poison.headers[DLQ_HEADERS.attempts], '1', 'a decode failure is not retried');

      const flaky = byKey.get('flaky')!;
      const origin = positions[1];
      assert.deepEqual(JSON.parse(flaky.value!.toString()), { n: 1 });
      assert.equal(flaky.headers['x-custom'], 'kept');
      assert.equal(flaky.headers['herald.correlation-id'], 'corr-7');
      assert.equal(flaky.headers[DLQ_HEADERS.topic], topic);
      assert.equal(flaky.headers[DLQ_HEADERS.partition], String(origin.partition));
      assert.equal(flaky.headers[DLQ_HEADERS.offset], String(origin.offset));
      assert.equal(flaky.headers[DLQ_HEADERS.key], 'flaky');
      assert.equal(flaky.headers[DLQ_HEADERS.group], group);
      assert.equal(flaky.headers[DLQ_HEADERS.errorCode], 'HERALD_HANDLER_FAILED');
      assert.equal(flaky.headers[DLQ_HEADERS.errorMessage], 'always fails');
      assert.equal(flaky.headers[DLQ_HEADERS.attempts], '3');
      const firstAt = Date.parse(flaky.headers[DLQ_HEADERS.firstAttemptAt]);
      const lastAt = Date.parse(flaky.headers[DLQ_HEADERS.lastAttemptAt]);
      assert.ok(firstAt <= lastAt);
      assert.ok(Date.parse(flaky.headers[DLQ_HEADERS.timestamp]) <= firstAt);

      // Dead-lettered counts as done: every partition is committed to its end.
      await h.assertCommittedToEnd(group, topic);
    });
  });
}
