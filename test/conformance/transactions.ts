import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { BrokerRecord, CommitChain, OutgoingRecord, RecordPosition } from '../../src/broker/port.ts';
import { isHeraldError } from '../../src/errors.ts';
import { type Harness, type HarnessTest, range, readPartition, rejectsWithCode, texts, uniqueName, waitFor } from './helpers.ts';

/** A started consumer that keeps what it is handed; `commitTransaction` is driven by the test. */
async function started(h: Harness, group: string, topics: string[], transactionalId?: string) {
  const received: BrokerRecord[] = [];
  const consumer = h.consumer({ group, topics, transactionalId });
  await consumer.start({
    onRecords(records) {
      received.push(...records);
    },
  });
  return { consumer, received };
}

function out(topic: string, values: string[], partition = 0): OutgoingRecord[] {
  return values.map((v) => ({ topic, partition, key: Buffer.from(v), value: Buffer.from(v) }));
}

async function committedOffset(h: Harness, group: string, tp: { topic: string; partition: number }) {
  const info = await h.broker.admin.describeGroup(group);
  return info.offsets.find((o) => o.topic === tp.topic && o.partition === tp.partition)?.committed ?? null;
}

/**
 * Waits until no transaction is pending in `topic` (the last stable offset has reached the high watermark): Kafka
 * writes a transaction's markers after EndTxn has answered, and its records are not visible until then (a CI run
 * read an output topic in between and found it empty).
 */
async function settled(h: Harness, topic: string): Promise<void> {
  const deadline = Date.now() + h.timeoutMs;
  for (;;) {
    const committed = await h.broker.admin.endOffsets(topic, { isolation: 'read_committed' });
    const high = new Map(
      (await h.broker.admin.endOffsets(topic, { isolation: 'read_uncommitted' })).map((p) => [p.partition, p.latest]),
    );
    if (committed.every((p) => p.latest === high.get(p.partition))) return;
    if (Date.now() > deadline) assert.fail(`gave up after ${h.timeoutMs} ms waiting for ${topic}'s transactions to end`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every partition of `topic` read_committed, once no transaction is pending: the values, in partition then offset order. */
async function visible(h: Harness, topic: string, partitions: number): Promise<(string | null)[]> {
  await settled(h, topic);
  const all: BrokerRecord[] = [];
  for (const partition of range(partitions)) all.push(...(await readPartition(h.broker, topic, partition)));
  return texts(all);
}

export function transactionTests(anyTest: HarnessTest): void {
  const test: HarnessTest = (name, body) =>
    anyTest(name, async (h) => {
      if (h.features.noTransactions !== null) return h.t.skip(h.features.noTransactions);
      await body(h);
    });
  describe('commitTransaction (exactly-once step)', () => {
    test('appends records to several topics and commits the offsets together', async (h) => {
      const input = await h.topic(2);
      const outA = await h.topic(2);
      const outB = await h.topic(1);
      const group = h.group();
      await h.producer().send(range(10).map((i) => ({ topic: input, partition: i % 2, value: Buffer.from(`in${i}`) })));
      const { consumer, received } = await started(h, group, [input], uniqueName('tx'));
      await waitFor(() => received.length === 10, () => `10 inputs, got ${received.length}`, h.timeoutMs);

      const positions = await consumer.commitTransaction(
        [...out(outA, ['a0', 'a1'], 1), ...out(outB, ['b0'])],
        [
          { topic: input, partition: 0, offset: 3 },
          { topic: input, partition: 1, offset: 5 },
        ],
      );
      assert.deepEqual(
        positions.map((p) => [p.topic, p.partition]),
        [
          [outA, 1],
          [outA, 1],
          [outB, 0],
        ],
      );
      assert.equal(positions[1].offset, positions[0].offset + 1);
      assert.deepEqual(await visible(h, outA, 2), ['a0', 'a1']);
      assert.deepEqual(await visible(h, outB, 1), ['b0']);
      assert.equal(await committedOffset(h, group, { topic: input, partition: 0 }), 3);
      assert.equal(await committedOffset(h, group, { topic: input, partition: 1 }), 5);

      // A second transaction on the same consumer, and readers reach the end a read_committed reader can reach.
      await consumer.commitTransaction(out(outB, ['b1']), [{ topic: input, partition: 0, offset: 4 }]);
      assert.deepEqual(await visible(h, outB, 1), ['b0', 'b1']);
      assert.equal(await committedOffset(h, group, { topic: input, partition: 0 }), 4);
      await settled(h, outB);
      const [end] = await h.broker.admin.endOffsets(outB);
      const last = (await readPartition(h.broker, outB, 0)).at(-1)!;
      assert.ok(end.latest > last.offset, `end ${end.latest} must be past the last visible record ${last.offset}`);
    });

    test('a batch that only consumed, and records without positions, are valid', async (h) => {
      const input = await h.topic(1);
      const output = await h.topic(1);
      const group = h.group();
      await h.producer().send(out(input, ['x', 'y']));
      const { consumer, received } = await started(h, group, [input]);
      await waitFor(() => received.length === 2, () => `2 inputs, got ${received.length}`, h.timeoutMs);
      assert.deepEqual(await consumer.commitTransaction([], [{ topic: input, partition: 0, offset: 2 }]), []);
      assert.equal(await committedOffset(h, group, { topic: input, partition: 0 }), 2);
      const written = await consumer.commitTransaction(out(output, ['z']), []);
      assert.equal(written.length, 1);
      assert.deepEqual(await visible(h, output, 1), ['z']);
      assert.deepEqual(await consumer.commitTransaction([], []), []);
    });

    test('concurrent calls from different partitions all land, each atomically', async (h) => {
      const input = await h.topic(4);
      const output = await h.topic(1);
      const group = h.group();
      const { consumer } = await started(h, group, [input], uniqueName('tx'));
      const calls = range(4).flatMap((partition) =>
        range(3).map((i) =>
          consumer.commitTransaction(out(output, [`p${partition}-${i}`]), [{ topic: input, partition, offset: i + 1 }]),
        ),
      );
      // Bad calls among them fail alone.
      const other = await h.topic(1);
      const bad = Promise.allSettled([
        consumer.commitTransaction(out(output, ['bad-partition'], 9), [{ topic: input, partition: 0, offset: 9 }]),
        consumer.commitTransaction(out(output, ['not-owned']), [{ topic: other, partition: 0, offset: 9 }]),
        consumer.commitTransaction(out(uniqueName('missing'), ['missing-topic']), []),
      ]);
      const results = await Promise.all(calls);
      assert.equal(results.length, 12);
      assert.deepEqual(
        (await bad).map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok')),
        ['HERALD_PARTITION_OUT_OF_RANGE', 'HERALD_NOT_ASSIGNED', 'HERALD_TOPIC_NOT_FOUND'],
      );
      const values = (await visible(h, output, 1)).sort();
      assert.deepEqual(values, range(4).flatMap((p) => range(3).map((i) => `p${p}-${i}`)).sort());
      for (const partition of range(4)) assert.equal(await committedOffset(h, group, { topic: input, partition }), 3);
    });

    test('a partition this member does not own: HERALD_NOT_ASSIGNED and nothing visible', async (h) => {
      const input = await h.topic(2);
      const other = await h.topic(1);
      const output = await h.topic(1);
      const group = h.group();
      const a = await started(h, group, [input], uniqueName('tx'));
      await rejectsWithCode(
        () => a.consumer.commitTransaction(out(output, ['never']), [{ topic: other, partition: 0, offset: 1 }]),
        'HERALD_NOT_ASSIGNED',
      );
      // A second member takes one partition away; the first may no longer commit it.
      const b = await started(h, group, [input], uniqueName('tx'));
      const settled = () => a.consumer.assignment().length === 1 && b.consumer.assignment().length === 1;
      await waitFor(settled, () => 'the two members to own one partition each', h.timeoutMs);
      const lost = b.consumer.assignment()[0];
      await rejectsWithCode(
        () => a.consumer.commitTransaction(out(output, ['never']), [{ ...lost, offset: 1 }]),
        'HERALD_NOT_ASSIGNED',
      );
      assert.deepEqual(await visible(h, output, 1), []);
      assert.equal(await committedOffset(h, group, lost).catch(() => null), null);
      // The member still works for what it owns.
      const kept = a.consumer.assignment()[0];
      await a.consumer.commitTransaction(out(output, ['ok']), [{ ...kept, offset: 0 }]);
      assert.deepEqual(await visible(h, output, 1), ['ok']);
    });

    test('a commit chain: once a call fails, nothing more of it is written; a new chain commits', async (h) => {
      const input = await h.topic(1);
      const output = await h.topic(1);
      const group = h.group();
      const { consumer } = await started(h, group, [input], uniqueName('tx'));
      const own = (offset: number) => [{ topic: input, partition: 0, offset }];
      const chain: CommitChain = { failure: undefined };
      // Made together, as a processor with batches in flight makes them; the second names a topic that does not exist.
      const outcomes = await Promise.allSettled([
        consumer.commitTransaction(out(output, ['first']), own(1), chain),
        consumer.commitTransaction([...out(output, ['second']), ...out(uniqueName('missing'), ['x'])], own(2), chain),
        consumer.commitTransaction(out(output, ['third']), own(3), chain),
        consumer.commitTransaction([], own(4), chain),
      ]);
      assert.deepEqual(
        outcomes.slice(1).map((o) => o.status),
        ['rejected', 'rejected', 'rejected'],
      );
      assert.ok(isHeraldError(chain.failure, 'HERALD_TOPIC_NOT_FOUND'), `the chain's failure: ${String(chain.failure)}`);
      // The first call was either written before the failure (embedded: refused in the same write; Kafka: in the
      // transaction already running) or not at all — and then the whole of it.
      const first = outcomes[0].status === 'fulfilled';
      assert.deepEqual(await visible(h, output, 1), first ? ['first'] : []);
      assert.equal(await committedOffset(h, group, own(0)[0]).catch(() => null), first ? 1 : null);
      // A broken chain stays broken; a new one commits.
      await rejectsWithCode(() => consumer.commitTransaction(out(output, ['late']), own(5), chain), 'HERALD_TOPIC_NOT_FOUND');
      await consumer.commitTransaction(out(output, ['again']), own(2), { failure: undefined });
      assert.deepEqual(await visible(h, output, 1), first ? ['first', 'again'] : ['again']);
    });

    test('a newer consumer with the same transactional id fences the older one: HERALD_FENCED', async (h) => {
      const input = await h.topic(1);
      const output = await h.topic(1);
      const transactionalId = uniqueName('tx');
      const older = await started(h, h.group(), [input], transactionalId);
      const own: RecordPosition = { topic: input, partition: 0, offset: 0 };
      await older.consumer.commitTransaction(out(output, ['before']), [own]);
      const newer = await started(h, h.group(), [input], transactionalId);
      await rejectsWithCode(() => older.consumer.commitTransaction(out(output, ['zombie']), [own]), 'HERALD_FENCED');
      await newer.consumer.commitTransaction(out(output, ['after']), [own]);
      // Fenced for good: a zombie does not come back by trying again.
      await rejectsWithCode(() => older.consumer.commitTransaction(out(output, ['zombie']), [own]), 'HERALD_FENCED');
      assert.deepEqual(await visible(h, output, 1), ['before', 'after']);
    });

    test('a bad record rejects the whole call before anything is written', async (h) => {
      const input = await h.topic(1);
      const output = await h.topic(1);
      const group = h.group();
      const { consumer } = await started(h, group, [input]);
      const own = [{ topic: input, partition: 0, offset: 1 }];
      const good = out(output, ['good']);
      await rejectsWithCode(
        () => consumer.commitTransaction([...good, { topic: output, value: 'text' as unknown as Buffer }], own),
        'HERALD_INVALID_ARGUMENT',
      );
      await rejectsWithCode(
        () => consumer.commitTransaction([...good, ...out(output, ['x'], 7)], own),
        'HERALD_PARTITION_OUT_OF_RANGE',
      );
      await rejectsWithCode(
        () => consumer.commitTransaction([...good, ...out(uniqueName('missing'), ['x'])], own),
        'HERALD_TOPIC_NOT_FOUND',
      );
      await rejectsWithCode(
        () => consumer.commitTransaction(good, [{ topic: input, partition: 0, offset: -1 }]),
        'HERALD_INVALID_ARGUMENT',
      );
      assert.deepEqual(await visible(h, output, 1), []);
      assert.equal(await committedOffset(h, group, own[0]).catch(() => null), null);
    });

    test('after close, commitTransaction rejects with HERALD_BROKER_CLOSED', async (h) => {
      const input = await h.topic(1);
      const { consumer } = await started(h, h.group(), [input]);
      await consumer.close();
      await rejectsWithCode(() => consumer.commitTransaction([], []), 'HERALD_BROKER_CLOSED');
    });
  });
}
