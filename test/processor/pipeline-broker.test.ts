import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Broker, CommitChain, GroupConsumer } from '../../src/broker/port.ts';
import { jsonCodec } from '../../src/codec/index.ts';
import { HeraldError } from '../../src/errors.ts';
import { Processor } from '../../src/processor/processor.ts';
import { defineGroup } from '../../src/processor/topology.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import { bound, KINDS, logger, uniqueName, waitFor } from './harness.ts';

/**
 * The broker with consumers whose commits reach it `delayMs` late (so that several batches of a partition are in
 * flight at once), and whose commit calls numbered in `failing` (1-based, across the run) fail there as a broker
 * failure would: the call's chain broken, then rejected.
 */
interface Seen {
  calls: number;
  failed: number;
  /** Most commits of one partition made and not yet settled at once. */
  mostInFlight: number;
}

function slowFailingCommits(broker: Broker, delayMs: number, failing: Set<number>, seen: Seen): Broker {
  const inFlight = new Map<number, number>();
  return new Proxy(broker, {
    get(target, property) {
      if (property !== 'consumer') return bound(target, property);
      return (options: Parameters<Broker['consumer']>[0]): GroupConsumer => {
        const consumer = target.consumer(options);
        const commitTransaction: GroupConsumer['commitTransaction'] = (records, positions, chain?: CommitChain) => {
          const call = ++seen.calls;
          const partition = positions[0]?.partition ?? -1;
          const now = (inFlight.get(partition) ?? 0) + 1;
          inFlight.set(partition, now);
          seen.mostInFlight = Math.max(seen.mostInFlight, now);
          return new Promise((resolve) => setTimeout(resolve, delayMs))
            .then(() => {
              if (!failing.has(call)) return consumer.commitTransaction(records, positions, chain);
              seen.failed += 1;
              const failure = new HeraldError('HERALD_BROKER_UNAVAILABLE', `injected failure of commit ${call}`);
              if (chain !== undefined) chain.failure ??= failure;
              throw failure;
            })
            .finally(() => inFlight.set(partition, (inFlight.get(partition) ?? 1) - 1));
        };
        return new Proxy(consumer, {
          get: (c, p) => (p === 'commitTransaction' ? commitTransaction : bound(c, p)),
        });
      };
    },
  });
}

for (const kind of KINDS) {
  describe(`processor batches in flight on ${kind.kind}`, { timeout: kind.timeoutMs }, () => {
    it('a commit failing while later batches of its partition are in flight: none of them counts, all run again, sums exact', async (t) => {
      const brokers = await kind.open(t);
      if (brokers === undefined) return;
      const broker = await brokers.broker();
      const [a, b] = [uniqueName('in-a'), uniqueName('in-b')];
      const output = uniqueName('out');
      for (const name of [a, b, output]) await broker.admin.createTopic({ name, partitions: 2 });
      const num = jsonCodec<number>();
      let runs = 0;
      const topology = defineGroup(uniqueName('g'))
        .persist(num)
        .output(output, num)
        .input(a, num, (ctx, v) => {
          runs += 1;
          ctx.set((ctx.get() ?? 0) + (v ?? 0));
          ctx.emit(output, ctx.key, ctx.get() ?? 0);
        })
        .input(b, num, (ctx, v) => {
          runs += 1;
          ctx.set((ctx.get() ?? 0) + (v ?? 0));
        })
        .build();
      const seen: Seen = { calls: 0, failed: 0, mostInFlight: 0 };
      const processor = new Processor(topology, {
        broker: slowFailingCommits(broker, 30, new Set([3, 6, 7, 12]), seen),
        dataDir: await brokers.dir(),
        logger,
        // Batches stay below it (records trickle in), so they are processed ahead of their commits.
        maxBatchSize: 50,
        inFlightBatches: 4,
      });
      await processor.start();
      t.after(() => processor.stop());
      const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
      const expected = new Map<string, number>();
      const [toA, toB] = [new Emitter(broker.producer(), a, num), new Emitter(broker.producer(), b, num)];
      for (let round = 0; round < 60; round++) {
        const emissions = keys.slice(0, 4).map((_, j) => {
          const i = round * 4 + j;
          const key = keys[i % keys.length];
          const value = (i % 5) + 1;
          expected.set(key, (expected.get(key) ?? 0) + 2 * value); // once through each input
          return { key, value };
        });
        await Promise.all([toA.emitMany(emissions), toB.emitMany(emissions)]);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const partitionOf = new Map<string, number>();
      const readAll = () => {
        for (const key of keys) {
          for (const p of [0, 1]) if (processor.get(key, p) !== undefined) partitionOf.set(key, p);
        }
        return keys.every((key) => processor.get(key, partitionOf.get(key) ?? 0) === expected.get(key));
      };
      await waitFor('every sum exact', readAll, 30_000).catch((err) => {
        throw new Error(`${err.message}: ${JSON.stringify({ seen, runs, got: keys.map((k) => [k, processor.get(k, 0), processor.get(k, 1), expected.get(k)]) })}`);
      });
      assert.ok(seen.mostInFlight >= 2, `batches of a partition were in flight together (at most ${seen.mostInFlight})`);
      assert.equal(seen.failed, 4, 'the injected failures were met');
      assert.ok(runs > 480, `batches after a failed commit ran again (${runs} callback runs for 480 records)`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(readAll(), 'and no batch was counted twice afterwards');
    });

    it('full batches (a backlog) are committed one at a time', async (t) => {
      const brokers = await kind.open(t);
      if (brokers === undefined) return;
      const broker = await brokers.broker();
      const input = uniqueName('in');
      await broker.admin.createTopic({ name: input, partitions: 1 });
      const num = jsonCodec<number>();
      const topology = defineGroup(uniqueName('g'))
        .persist(num)
        .input(input, num, (ctx, v) => ctx.set((ctx.get() ?? 0) + (v ?? 0)))
        .build();
      const seen: Seen = { calls: 0, failed: 0, mostInFlight: 0 };
      const emitter = new Emitter(broker.producer(), input, num);
      await emitter.emitMany(Array.from({ length: 40 }, () => ({ key: 'k', value: 1 })));
      const processor = new Processor(topology, {
        broker: slowFailingCommits(broker, 30, new Set(), seen),
        logger,
        maxBatchSize: 4,
        inFlightBatches: 4,
      });
      await processor.start();
      t.after(() => processor.stop());
      await waitFor('forty counted', () => processor.get('k', 0) === 40, 30_000);
      assert.equal(seen.mostInFlight, 1);
    });
  });
}
