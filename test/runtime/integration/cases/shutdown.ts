import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { isHeraldError } from '../../../../src/errors.ts';
import { json, type RuntimeTest, sleep } from '../harness.ts';

export function shutdownTests(test: RuntimeTest): void {
  describe('shutdown', () => {
    test('stop lets running records finish, starts no new ones, commits them, and leaves', async (h) => {
      const topic = await h.topic(1);
      const group = h.group();
      const total = 20;
      await h.send(Array.from({ length: total }, (_, i) => ({ topic, key: Buffer.from(`k${i}`), value: json(i) })));
      const started = new Set<number>();
      const finished = new Set<number>();
      let stopping = false;
      let startedWhileStopping = 0;
      const router = h.router({ concurrency: 4 });
      router.handle(topic, group, async (m) => {
        if (stopping) startedWhileStopping += 1;
        started.add(m.offset);
        await sleep(150);
        finished.add(m.offset);
      });
      await router.start();
      await h.waitFor(
        () => started.size >= 4,
        () => `4 running records; ${started.size} started`,
      );
      stopping = true;
      await router.stop();
      assert.equal(startedWhileStopping, 0, 'a record started after stop()');
      assert.deepEqual([...finished].sort(), [...started].sort(), 'stop() returned before running records finished');
      const [committed] = await h.committed(group, topic);
      assert.equal(committed, finished.size);
      assert.deepEqual(
        [...finished].sort((a, b) => a - b),
        Array.from({ length: finished.size }, (_, i) => i),
      );

      const again = new Set<number>();
      const next = h.router();
      next.handle(topic, group, async (m) => void again.add(m.offset));
      await next.start();
      await h.waitFor(
        () => again.size + finished.size >= total,
        () => `the rest of ${total}; ${again.size} after the restart`,
      );
      for (const offset of again) assert.ok(offset >= committed!, `record ${offset} was committed yet redelivered`);
    });

    test('at the drain deadline running records are aborted, left uncommitted, and redelivered', async (h) => {
      const topic = await h.topic(1);
      const group = h.group();
      await h.send([{ topic, key: Buffer.from('a'), value: json('hangs') }]);
      let abortReason: unknown;
      let running = false;
      const router = h.router({ drainTimeoutMs: 200 });
      router.handle(topic, group, async (m) => {
        running = true;
        // A handler that only stops when told to.
        await new Promise<void>((resolve) => m.signal.addEventListener('abort', () => resolve()));
        abortReason = m.signal.reason;
        throw new Error('aborted');
      });
      await router.start();
      await h.waitFor(
        () => running,
        () => 'the handler to start',
      );
      await router.stop();
      await h.waitFor(
        () => abortReason !== undefined,
        () => 'the handler to see the abort',
      );
      assert.ok(isHeraldError(abortReason, 'HERALD_SHUTTING_DOWN'));
      const [committed] = await h.committed(group, topic);
      assert.ok(committed === null || committed === 0, `committed ${committed}`);

      let redelivered = false;
      const next = h.router();
      next.handle(topic, group, async () => {
        redelivered = true;
      });
      await next.start();
      await h.waitFor(
        () => redelivered,
        () => 'the abandoned record to be handed over again',
      );
    });
  });
}
