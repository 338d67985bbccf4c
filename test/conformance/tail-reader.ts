import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { TailBatch, TailReaderOptions } from '../../src/broker/port.ts';
import { type Harness, type HarnessTest, range, rejectsWithCode, text, tpKey, uniqueName, waitFor } from './helpers.ts';

/** A started tail reader that keeps its batches and checks order per partition as it goes. */
async function tail(h: Harness, options: TailReaderOptions) {
  const batches: TailBatch[] = [];
  const violations: string[] = [];
  const last = new Map<string, number>();
  const busy = new Set<string>();
  const reader = h.broker.reader(options);
  h.defer(() => reader.close());
  await reader.start({
    async onRecords(batch) {
      const key = tpKey(batch);
      if (busy.has(key)) violations.push(`a batch of ${key} before the previous one settled`);
      busy.add(key);
      for (const r of batch.records) {
        if (tpKey(r) !== key) violations.push(`${key}: batch holds ${tpKey(r)}`);
        if (r.offset <= (last.get(key) ?? -1)) violations.push(`${key}: ${r.offset} after ${last.get(key)}`);
        last.set(key, r.offset);
      }
      if (batch.records.length > 0 && batch.next <= batch.records.at(-1)!.offset) {
        violations.push(`${key}: next ${batch.next} not after the last record`);
      }
      batches.push(batch);
      await new Promise((resolve) => setImmediate(resolve));
      busy.delete(key);
    },
  });
  const values = (topic: string, partition: number) =>
    batches
      .filter((b) => b.topic === topic && b.partition === partition)
      .flatMap((b) => b.records.map((r) => text(r.value)));
  /** The newest `next` reported for a partition. */
  const next = (topic: string, partition: number) =>
    batches.filter((b) => b.topic === topic && b.partition === partition).at(-1)?.next ?? -1;
  /** Forgets the order seen so far (before a seek back). */
  const forgetOrder = () => last.clear();
  return { reader, batches, violations, values, next, forgetOrder };
}

async function fill(h: Harness, topic: string, partition: number, values: string[]): Promise<void> {
  await h.producer().send(values.map((v) => ({ topic, partition, value: Buffer.from(v) })));
}

function named(prefix: string, n: number, from = 0): string[] {
  return range(n, from).map((i) => `${prefix}${i}`);
}

export function tailReaderTests(test: HarnessTest): void {
  describe('tail reader', () => {
    test('reads partitions from given offsets, then follows new records as they come', async (h) => {
      const topic = await h.topic(2);
      await fill(h, topic, 0, named('a', 10));
      await fill(h, topic, 1, named('b', 5));
      const r = await tail(h, {
        from: [
          { topic, partition: 0, offset: 4 },
          { topic, partition: 1, offset: 0 },
        ],
        maxBatchSize: 3,
      });
      await waitFor(
        () => r.values(topic, 0).length === 6 && r.values(topic, 1).length === 5,
        () => `6 + 5 records, got ${r.values(topic, 0).length} + ${r.values(topic, 1).length}`,
        h.timeoutMs,
      );
      assert.deepEqual(r.values(topic, 0), named('a', 6, 4));
      assert.ok(r.batches.every((b) => b.records.length <= 3), 'a batch exceeds maxBatchSize');
      // Waiting at the end: new records arrive without anything else happening.
      await fill(h, topic, 1, named('b', 3, 5));
      await waitFor(() => r.values(topic, 1).length === 8, () => `8 records of ${topic}/1`, h.timeoutMs);
      assert.deepEqual(r.values(topic, 1), named('b', 8));
      const ends = await h.broker.admin.endOffsets(topic);
      assert.deepEqual(
        r.reader.positions(),
        ends.map((e) => ({ topic, partition: e.partition, offset: e.latest })),
      );
      assert.deepEqual(r.violations, []);
    });

    test('assign adds partitions, unassign stops them, seek rereads', async (h) => {
      const topic = await h.topic(3);
      for (const p of range(3)) await fill(h, topic, p, named(`p${p}-`, 4));
      const r = await tail(h, {});
      assert.deepEqual(r.reader.positions(), []);
      await r.reader.assign([{ topic, partition: 2, offset: 1 }]);
      await waitFor(() => r.values(topic, 2).length === 3, () => `3 records of ${topic}/2`, h.timeoutMs);
      await r.reader.assign([{ topic, partition: 0, offset: 0 }]);
      await waitFor(() => r.values(topic, 0).length === 4, () => `4 records of ${topic}/0`, h.timeoutMs);
      await r.reader.unassign([{ topic, partition: 2 }]);
      assert.deepEqual(
        r.reader.positions().map((p) => p.partition),
        [0],
      );
      const before = r.values(topic, 2).length;
      await fill(h, topic, 2, ['late']);
      await fill(h, topic, 0, ['p0-4']);
      await waitFor(() => r.values(topic, 0).length === 5, () => `5 records of ${topic}/0`, h.timeoutMs);
      assert.equal(r.values(topic, 2).length, before, 'an unassigned partition was still read');
      r.forgetOrder();
      r.reader.seek({ topic, partition: 0, offset: 2 });
      await waitFor(() => r.values(topic, 0).length === 8, () => `8 records of ${topic}/0`, h.timeoutMs);
      assert.deepEqual(r.values(topic, 0).slice(5), ['p0-2', 'p0-3', 'p0-4']);
      assert.throws(() => r.reader.seek({ topic, partition: 1, offset: 0 }), { code: 'HERALD_NOT_ASSIGNED' });
    });

    test('endOffsets: where a reader is caught up, for both isolation levels', async (h) => {
      const topic = await h.topic(2);
      await fill(h, topic, 1, named('x', 7));
      for (const isolation of ['read_committed', 'read_uncommitted'] as const) {
        const ends = await h.broker.admin.endOffsets(topic, { isolation });
        assert.deepEqual(
          ends.map((e) => [e.partition, e.earliest, e.latest]).sort(),
          [
            [0, 0, 0],
            [1, 0, 7],
          ],
        );
      }
      await rejectsWithCode(() => h.broker.admin.endOffsets(uniqueName('missing')), 'HERALD_TOPIC_NOT_FOUND');
      await rejectsWithCode(
        () => h.broker.admin.endOffsets(topic, { isolation: 'dirty' as 'read_committed' }),
        'HERALD_INVALID_ARGUMENT',
      );
    });

    test('a missing topic or partition, bad options and use after close are refused', async (h) => {
      const topic = await h.topic(1);
      await rejectsWithCode(async () => {
        const missing = h.broker.reader({ from: [{ topic: uniqueName('missing'), partition: 0, offset: 0 }] });
        h.defer(() => missing.close());
        await missing.start({ onRecords() {} });
      }, 'HERALD_TOPIC_NOT_FOUND');
      await rejectsWithCode(() => h.broker.reader({ maxBatchSize: 0 }), 'HERALD_INVALID_ARGUMENT');
      const reader = h.broker.reader({});
      h.defer(() => reader.close());
      await rejectsWithCode(() => reader.start({} as never), 'HERALD_INVALID_ARGUMENT');
      await reader.start({ onRecords() {} });
      await rejectsWithCode(
        () => reader.assign([{ topic, partition: 5, offset: 0 }]),
        'HERALD_PARTITION_OUT_OF_RANGE',
      );
      await reader.close();
      await reader.close();
      await rejectsWithCode(() => reader.assign([{ topic, partition: 0, offset: 0 }]), 'HERALD_BROKER_CLOSED');
    });

    test('a throwing listener does not stop the reader', async (h) => {
      const topic = await h.topic(1);
      await fill(h, topic, 0, named('v', 4));
      const seen: string[] = [];
      const reader = h.broker.reader({ from: [{ topic, partition: 0, offset: 0 }], maxBatchSize: 1 });
      h.defer(() => reader.close());
      await reader.start({
        onRecords(batch) {
          for (const r of batch.records) seen.push(text(r.value)!);
          if (seen.length === 2) throw new Error('listener failure');
        },
      });
      await waitFor(() => seen.length === 4, () => `4 records, got ${seen.length}`, h.timeoutMs);
      assert.deepEqual(seen, named('v', 4));
    });

    test('offsets removed by compaction are passed with next, so the reader reaches the end', async (h) => {
      const compaction = h.features.compaction;
      if (compaction === null) {
        h.t.skip('this broker cannot be made to compact on demand');
        return;
      }
      const topic = await h.topic(1, { compacted: true, configs: compaction.topicConfigs });
      const k = (s: string) => Buffer.from(s);
      await h.producer().send([
        { topic, key: k('a'), value: k('a1') },
        { topic, key: k('b'), value: k('b1') },
        { topic, key: k('a'), value: k('a2') },
        { topic, key: k('b'), value: null },
      ]);
      await compaction.force(h.broker, topic);
      const r = await tail(h, { from: [{ topic, partition: 0, offset: 0 }] });
      const [end] = await h.broker.admin.endOffsets(topic);
      assert.equal(end.latest, 4);
      await waitFor(() => r.next(topic, 0) >= 4, () => `next ${r.next(topic, 0)} >= 4`, h.timeoutMs);
      assert.deepEqual(r.values(topic, 0), compaction.keepsTombstones ? ['a2', null] : ['a2']);
    });

    test('records appended by commitTransaction reach a tail reader; the end is reached exactly', async (h) => {
      if (h.features.noTransactions !== null) return h.t.skip(h.features.noTransactions);
      const input = await h.topic(1);
      const output = await h.topic(1);
      const consumer = h.consumer({ group: h.group(), topics: [input], transactionalId: uniqueName('tx') });
      await consumer.start({ onRecords() {} });
      const r = await tail(h, { from: [{ topic: output, partition: 0, offset: 0 }] });
      for (const i of range(3)) {
        await consumer.commitTransaction(
          [{ topic: output, partition: 0, value: Buffer.from(`t${i}`) }],
          [{ topic: input, partition: 0, offset: 0 }],
        );
      }
      // Kafka writes a transaction's markers after EndTxn has answered: until the last one is written, the last
      // stable offset stays below t2 (a CI run read the end then, and the reader had already reached it).
      await waitFor(() => r.values(output, 0).length >= 3, () => `${r.values(output, 0).length} records >= 3`, h.timeoutMs);
      const [end] = await h.broker.admin.endOffsets(output);
      // Transaction markers occupy offsets (Kafka): caught up means next >= end, never a count of records.
      await waitFor(() => r.next(output, 0) >= end.latest, () => `next ${r.next(output, 0)} >= ${end.latest}`, h.timeoutMs);
      assert.deepEqual(r.values(output, 0), ['t0', 't1', 't2']);
      assert.deepEqual(r.violations, []);
    });
  });
}
