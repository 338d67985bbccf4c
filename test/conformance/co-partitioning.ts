import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { GroupConsumer, TopicPartition } from '../../src/broker/port.ts';
import { type Harness, type HarnessTest, rejectsWithCode, waitFor } from './helpers.ts';
import { Ledger, Recorder, record } from './recorder.ts';

/** Partition numbers a member owns, per topic. */
function numbersByTopic(tps: TopicPartition[], topics: string[]): number[][] {
  return topics.map((topic) =>
    tps
      .filter((tp) => tp.topic === topic)
      .map((tp) => tp.partition)
      .sort((a, b) => a - b),
  );
}

async function coMember(h: Harness, group: string, topics: string[], name: string, ledger: Ledger) {
  const consumer = h.consumer({ group, topics, clientId: name, assignment: 'co-partitioned' });
  const recorder = await record(consumer, new Recorder({ name, ledger }));
  return { consumer, recorder };
}

/** Waits until `members` own every partition of `topics` between them, each member some. */
async function settled(h: Harness, members: GroupConsumer[], topics: string[], partitions: number): Promise<void> {
  const owned = () => members.map((m) => m.assignment());
  await waitFor(
    () => owned().every((a) => a.length > 0) && owned().flat().length === topics.length * partitions,
    () => `the members to share ${topics.length}x${partitions} partitions; own ${JSON.stringify(owned())}`,
    h.timeoutMs,
  );
}

export function coPartitioningTests(test: HarnessTest): void {
  describe('co-partitioned assignment', () => {
    test('a member owns partition p of every subscribed topic or of none', async (h) => {
      const partitions = 4;
      const topics = [await h.topic(partitions), await h.topic(partitions), await h.topic(partitions)];
      const group = h.group();
      const ledger = new Ledger();
      const a = await coMember(h, group, topics, 'a', ledger);
      assert.equal(a.consumer.assignment().length, topics.length * partitions, 'a lone member owns everything');
      const b = await coMember(h, group, topics, 'b', ledger);
      await settled(h, [a.consumer, b.consumer], topics, partitions);
      for (const member of [a.consumer, b.consumer]) {
        const numbers = numbersByTopic(member.assignment(), topics);
        assert.ok(numbers[0].length > 0);
        for (const list of numbers) assert.deepEqual(list, numbers[0], `not co-partitioned: ${JSON.stringify(numbers)}`);
      }
      const all = [...a.consumer.assignment(), ...b.consumer.assignment()].map((tp) => `${tp.topic}/${tp.partition}`);
      assert.equal(new Set(all).size, all.length, 'a partition has two owners');
      assert.deepEqual(ledger.violations, []);
    });

    test('records with one key in co-partitioned topics reach the same member', async (h) => {
      const partitions = 3;
      const topics = [await h.topic(partitions), await h.topic(partitions)];
      const group = h.group();
      const ledger = new Ledger();
      const members = [await coMember(h, group, topics, 'a', ledger), await coMember(h, group, topics, 'b', ledger)];
      await settled(
        h,
        members.map((m) => m.consumer),
        topics,
        partitions,
      );
      const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
      await h
        .producer()
        .send(topics.flatMap((topic) => keys.map((k) => ({ topic, key: Buffer.from(k), value: Buffer.from(k) }))));
      const all = () => members.flatMap((m) => m.recorder.records);
      await waitFor(
        () => all().length >= keys.length * topics.length,
        () => `${keys.length * topics.length} records, got ${all().length}`,
        h.timeoutMs,
      );
      for (const m of members) {
        const byTopic = topics.map((topic) =>
          m.recorder.records
            .filter((r) => r.topic === topic)
            .map((r) => r.key!.toString())
            .sort(),
        );
        assert.deepEqual(byTopic[1], byTopic[0], `${m.recorder.name} got a key in one topic only`);
      }
      assert.deepEqual(ledger.violations, []);
    });

    test('topics with different partition counts are refused at start', async (h) => {
      const topics = [await h.topic(2), await h.topic(3)];
      const consumer = h.consumer({ topics, assignment: 'co-partitioned' });
      const err = await rejectsWithCode(() => consumer.start({ onRecords() {} }), 'HERALD_COPARTITION_MISMATCH');
      assert.deepEqual((err.details as { partitions: Record<string, number> }).partitions, {
        [topics[0]]: 2,
        [topics[1]]: 3,
      });
      // The same topics spread over a group are fine.
      const spread = h.consumer({ topics });
      await spread.start({ onRecords() {} });
      assert.equal(spread.assignment().length, 5);
    });

    test('bad assignment, isolation and transactional-id options are refused', async (h) => {
      const topic = await h.topic(1);
      const bad = [
        { assignment: 'sticky' },
        { isolation: 'dirty' },
        { transactionalId: 'has space' },
        { transactionalId: '' },
        { transactionTimeoutMs: 0 },
      ];
      for (const options of bad) {
        await rejectsWithCode(
          () => h.broker.consumer({ group: h.group(), topics: [topic], ...(options as object) }),
          'HERALD_INVALID_ARGUMENT',
        );
      }
      const uncommitted = h.consumer({ topics: [topic], isolation: 'read_uncommitted' });
      await uncommitted.start({ onRecords() {} });
      assert.equal(uncommitted.assignment().length, 1);
    });
  });
}
