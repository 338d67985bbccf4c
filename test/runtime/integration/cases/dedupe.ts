import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { jsonCodec } from '../../../../src/codec/json.ts';
import { dedupe } from '../../../../src/runtime/middleware/dedupe.ts';
import { dedupeTopicName } from '../../../../src/runtime/names.ts';
import { type Harness, json, type RuntimeTest } from '../harness.ts';

interface Order {
  id: string;
}

export function dedupeTests(test: RuntimeTest): void {
  describe('dedupe', () => {
    test('skips ids the group processed, also after a restart; failed ids are not remembered', async (h) => {
      const topic = await h.topic(2);
      const group = h.group();
      const send = (ids: string[], broker = h.broker) =>
        h.send(
          ids.map((id) => ({ topic, key: Buffer.from(id), value: json({ id }) })),
          broker,
        );
      const run = (handled: string[], failing: Set<string>, broker = h.broker) => {
        const router = h.router({ retry: false, deadLetter: {} }, broker);
        router.handle<Order>(
          topic,
          group,
          async (m) => {
            if (failing.has(m.value.id)) throw new Error('fails');
            handled.push(m.value.id);
          },
          { codec: jsonCodec<Order>(), middleware: [dedupe<Order>({ idOf: (m) => m.value.id })] },
        );
        return router;
      };
      const count = async (broker = h.broker) => {
        const info = await broker.admin.describeTopic(topic);
        return info.partitions.reduce((n, p) => n + p.latest, 0);
      };
      const settled = async (router: { stop(): Promise<void> }, expected: number, broker = h.broker) => {
        await waitCommitted(h, group, topic, expected, broker);
        await router.stop();
      };

      const first: string[] = [];
      const router = run(first, new Set(['x']));
      await router.start();
      // The router's start loaded (and so created) the group's store before any record arrived.
      const store = await h.broker.admin.describeTopic(dedupeTopicName(group));
      assert.equal(store.compacted, true);
      await send(['a', 'b', 'c', 'x', 'a']);
      await settled(router, await count());
      assert.deepEqual(first.sort(), ['a', 'b', 'c'], 'the second a was not skipped');

      // A restart: a new process (a new broker client; the embedded log reopened) loads what was processed.
      let broker = h.broker;
      if (h.spec.kind === 'embedded') {
        await h.broker.stop();
        broker = await h.open();
      }
      const second: string[] = [];
      await send(['b', 'c', 'd', 'x'], broker);
      const again = run(second, new Set(), broker);
      await again.start();
      await settled(again, await count(broker), broker);
      assert.deepEqual(second.sort(), ['d', 'x'], 'x failed before, so it is not a duplicate');
    });
  });
}

/** Waits until the group committed `total` records over all partitions (every record settled). */
async function waitCommitted(h: Harness, group: string, topic: string, total: number, broker = h.broker) {
  await h.waitFor(
    async () => (await h.committed(group, topic, broker)).reduce<number>((n, c) => n + (c ?? 0), 0) === total,
    () => `${total} records committed in ${group}`,
  );
}
