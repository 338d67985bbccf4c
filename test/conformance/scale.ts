import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { OutgoingRecord, RecordPosition } from '../../src/broker/port.ts';
import { type HarnessTest, latestOffsets, range, readPartition, text } from './helpers.ts';
import { collect, record } from './recorder.ts';

export function scaleTests(test: HarnessTest): void {
  describe('many topics and concurrent producers', () => {
    test('fifty topics: one send reaches them all and one consumer reads them all', async (h) => {
      const topics = await Promise.all(range(50).map(() => h.topic(1)));
      const sent = await h.producer().send(topics.map((topic) => ({ topic, value: Buffer.from(topic) })));
      assert.deepEqual(
        sent.map((p) => [p.topic, p.partition, p.offset]),
        topics.map((topic) => [topic, 0, 0]),
      );
      const listed = new Set((await h.broker.admin.listTopics()).map((t) => t.name));
      assert.deepEqual(
        topics.filter((t) => !listed.has(t)),
        [],
      );
      const got = await collect(await record(h.consumer({ topics })), topics.length, h.timeoutMs);
      assert.deepEqual(got.map((r) => [r.topic, text(r.value)]).sort(), topics.map((t) => [t, t]).sort());
    });

    test('concurrent sends from several producers get unique, dense offsets', async (h) => {
      const partitions = 3;
      const topic = await h.topic(partitions);
      const producers = range(3).map(() => h.producer());
      const calls: OutgoingRecord[][] = [];
      for (const p of range(producers.length)) {
        for (const c of range(20)) {
          calls.push(
            range(5).map((i) => ({
              topic,
              key: Buffer.from(`key-${(p * 7 + c * 3 + i) % 11}`),
              value: Buffer.from(`p${p}-c${c}-r${i}`),
            })),
          );
        }
      }
      const results = await Promise.all(calls.map((records, i) => producers[i % producers.length].send(records)));

      const byPartition = new Map<number, Map<number, string>>(range(partitions).map((p) => [p, new Map()]));
      results.forEach((positions: RecordPosition[], call) => {
        assert.equal(positions.length, calls[call].length);
        const lastInCall = new Map<number, number>();
        positions.forEach((pos, i) => {
          const offsets = byPartition.get(pos.partition);
          assert.ok(offsets !== undefined, `partition ${pos.partition} out of range`);
          assert.ok(!offsets.has(pos.offset), `offset ${pos.partition}@${pos.offset} given twice`);
          offsets.set(pos.offset, calls[call][i].value?.toString() ?? '');
          const previous = lastInCall.get(pos.partition) ?? -1;
          assert.ok(pos.offset > previous, `call ${call} was not appended in the order given`);
          lastInCall.set(pos.partition, pos.offset);
        });
      });
      const latest = await latestOffsets(h.broker, topic);
      for (const [partition, offsets] of byPartition) {
        assert.deepEqual(
          [...offsets.keys()].sort((a, b) => a - b),
          range(latest[partition]),
          `partition ${partition} offsets are not dense`,
        );
        const stored = await readPartition(h.broker, topic, partition);
        assert.deepEqual(
          stored.map((r) => [r.offset, text(r.value)]),
          [...offsets.entries()].sort((a, b) => a[0] - b[0]),
        );
      }
      assert.equal(
        latest.reduce((a, b) => a + b, 0),
        calls.length * 5,
      );
    });
  });
}
