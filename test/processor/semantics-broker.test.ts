import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EmbeddedBroker } from '../../src/broker/embedded/index.ts';
import { jsonCodec } from '../../src/codec/index.ts';
import { isHeraldError } from '../../src/errors.ts';
import { MemoryStore } from '../../src/state/memory-store.ts';
import { Processor } from '../../src/processor/processor.ts';
import { restorePartition } from '../../src/processor/restore.ts';
import { adminTail } from '../../src/processor/log-tail.ts';
import { defineGroup, groupTable } from '../../src/processor/topology.ts';
import { View } from '../../src/processor/view.ts';
import { deadLetterTopicName } from '../../src/runtime/names.ts';
import { listDeadLetters } from '../../src/admin/dead-letters.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import { KINDS, logger, uniqueName, waitFor } from './harness.ts';
import type { Guarantee } from '../../src/processor/options.ts';

const num = jsonCodec<number>();
const guarantee: Guarantee = 'exactly-once';

function counter(group: string, input: string, options: { output?: string; failOn?: number } = {}) {
  const b = defineGroup(group).persist(num).output(options.output ?? `${input}-out`, num);
  return b
    .input(input, num, (ctx, v) => {
      if (v === options.failOn) throw new Error(`refusing ${v}`);
      const next = (ctx.get() ?? 0) + (v ?? 0);
      ctx.set(next);
      ctx.emit(options.output ?? `${input}-out`, ctx.key, next);
    })
    .build();
}

for (const kind of KINDS) {
  describe(`processor semantics on ${kind.kind}`, { timeout: kind.timeoutMs }, () => {
    it('refuses at start: missing input, inputs not co-partitioned, unknown lookup table', async (t) => {
      const brokers = await kind.open(t);
      if (brokers === undefined) return;
      const broker = await brokers.broker();
      const a = uniqueName('a');
      const b = uniqueName('b');
      await broker.admin.createTopic({ name: a, partitions: 2 });
      await broker.admin.createTopic({ name: b, partitions: 3 });
      const topology = defineGroup(uniqueName('g'))
        .persist(num)
        .lookup(groupTable(uniqueName('nobody')), num)
        .input(a, num, () => {})
        .input(b, num, () => {})
        .input(uniqueName('missing'), num, () => {})
        .build();
      const p = new Processor(topology, { broker, logger, guarantee });
      await assert.rejects(p.start(), (err) => {
        assert.ok(isHeraldError(err, 'HERALD_TOPOLOGY_INVALID'));
        const problems = (err.details as string[]).join('\n');
        assert.match(problems, /does not exist/);
        assert.match(problems, /not co-partitioned/);
        assert.match(problems, /table .* does not exist/);
        return true;
      });
    });

    it('a throwing callback: retried, then dead-lettered; the table keeps only what succeeded', async (t) => {
      const brokers = await kind.open(t);
      if (brokers === undefined) return;
      const broker = await brokers.broker();
      const input = uniqueName('in');
      const group = uniqueName('g');
      await broker.admin.createTopic({ name: input, partitions: 1 });
      await broker.admin.createTopic({ name: `${input}-out`, partitions: 1 });
      const p = new Processor(counter(group, input, { failOn: 13 }), {
        broker,
        logger,
        guarantee,
        retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
      });
      await p.start();
      t.after(() => p.stop());
      const emitter = new Emitter(broker.producer(), input, num);
      for (const v of [1, 13, 2]) await emitter.emit('k', v);
      await waitFor('the table to reach 3', () => p.get('k', 0) === 3);
      const dlq = deadLetterTopicName(input, group);
      const letters = await listDeadLetters(broker.admin, dlq, {});
      assert.equal(letters.length, 1);
      assert.equal(letters[0].attempts, 3);
      assert.equal(letters[0].origin.offset, 1);
      const out = await broker.admin.read({ topic: `${input}-out`, partition: 0, offset: 0 }, 10);
      assert.deepEqual(out.map((r) => Number(String(r.value))), [1, 3], 'nothing emitted by the failed attempts');
    });

    it('a view catches up, follows, and waits for the changes of a given input record', async (t) => {
      const brokers = await kind.open(t);
      if (brokers === undefined) return;
      const broker = await brokers.broker();
      const input = uniqueName('in');
      const group = uniqueName('g');
      await broker.admin.createTopic({ name: input, partitions: 2 });
      await broker.admin.createTopic({ name: `${input}-out`, partitions: 2 });
      const p = new Processor(counter(group, input), { broker, logger, guarantee });
      await p.start();
      t.after(() => p.stop());
      const emitter = new Emitter(broker.producer(), input, num);
      for (let i = 0; i < 20; i++) await emitter.emit(`k${i % 4}`, 1);
      const view = new View({ broker: await brokers.broker(), table: groupTable(group), codec: num, logger });
      await view.start();
      t.after(() => view.stop());
      await waitFor('the view to catch up', () => [0, 1, 2, 3].every((i) => view.get(`k${i}`) === 5));
      await waitFor('caught up', () => view.caughtUp());
      assert.equal([...view.entries()].length, 4);
      const position = await emitter.emit('k1', 100);
      const outcome = await view.waitForSource(position, 20_000);
      assert.equal(outcome.reached, true);
      assert.equal(view.get('k1'), 105, 'read-your-writes');
      const never = await view.waitForSource({ ...position, offset: position.offset + 1_000 }, 50);
      assert.equal(never.reached, false);
      assert.equal(view.lag(), 0);
    });

    it('two instances share the partitions and nothing is lost or double-counted when one leaves', async (t) => {
      const brokers = await kind.open(t);
      if (brokers === undefined) return;
      const broker = await brokers.broker();
      const input = uniqueName('in');
      const group = uniqueName('g');
      await broker.admin.createTopic({ name: input, partitions: 4 });
      await broker.admin.createTopic({ name: `${input}-out`, partitions: 4 });
      const topology = counter(group, input);
      const options = { logger, guarantee, sessionTimeoutMs: 6_000 } as const;
      const one = new Processor(topology, { ...options, broker: await brokers.broker(), dataDir: await brokers.dir() });
      const two = new Processor(topology, {
        ...options,
        broker: await brokers.broker(),
        dataDir: await brokers.dir(),
        hotStandby: true,
      });
      await one.start();
      t.after(() => one.stop());
      const emitter = new Emitter(broker.producer(), input, num);
      for (let i = 0; i < 40; i++) await emitter.emit(`k${i % 8}`, 1);
      await two.start();
      t.after(() => two.stop());
      await waitFor('both own partitions', () => one.status().partitions.length > 0 && two.status().partitions.length > 0, 60_000);
      for (let i = 0; i < 40; i++) await emitter.emit(`k${i % 8}`, 1);
      const standby = two.status().standby;
      assert.ok(standby.length > 0, 'two keeps the partitions it does not own warm');
      await one.stop();
      const restored = () => two.status().partitions.filter((p) => p.restore?.finishedAt !== undefined).length === 4;
      await waitFor('two owns and restored everything', restored, 60_000);
      for (const p of two.status().partitions.filter((x) => standby.includes(x.partition))) {
        assert.equal(p.restore?.mode, 'warm', `partition ${p.partition} was kept warm`);
      }
      for (let i = 0; i < 40; i++) await emitter.emit(`k${i % 8}`, 1);
      const view = new View({ broker, table: groupTable(group), codec: num });
      await view.start();
      t.after(() => view.stop());
      await waitFor('every key at 15', () => [...Array(8).keys()].every((i) => view.get(`k${i}`) === 15), 60_000);
    });

    if (kind.kind === 'embedded') {
      it('a compacted changelog restores to the same table', async (t) => {
        const brokers = await kind.open(t);
        if (brokers === undefined) return;
        const broker = (await brokers.broker()) as EmbeddedBroker;
        const input = uniqueName('in');
        const group = uniqueName('g');
        await broker.admin.createTopic({ name: input, partitions: 1 });
        await broker.admin.createTopic({ name: `${input}-out`, partitions: 1 });
        const p = new Processor(counter(group, input), { broker, logger, guarantee, maxBatchSize: 1 });
        await p.start();
        const emitter = new Emitter(broker.producer(), input, num);
        for (let i = 0; i < 50; i++) await emitter.emit(`k${i % 5}`, 1);
        await waitFor('50 processed', () => [0, 1, 2, 3, 4].every((i) => p.get(`k${i}`, 0) === 10));
        await p.stop();
        const topic = groupTable(group);
        const before = await broker.admin.describeTopic(topic);
        await broker.compactNow(topic);
        const kept = await broker.admin.read({ topic, partition: 0, offset: 0 }, 1_000);
        assert.ok(kept.length < before.partitions[0].latest, 'compaction removed records');
        const store = new MemoryStore();
        const state = await restorePartition({ store, tail: adminTail(broker), topic, partition: 0 });
        assert.equal(state.position, before.partitions[0].latest);
        for (let i = 0; i < 5; i++) assert.equal(Number(String(store.get(0, `k${i}`))), 10);
      });
    }
  });
}
