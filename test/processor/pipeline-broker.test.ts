import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Broker, CommitChain, GroupConsumer } from '../../src/broker/port.ts';
import { jsonCodec } from '../../src/codec/index.ts';
import { HeraldError } from '../../src/errors.ts';
import { Processor } from '../../src/processor/processor.ts';
import { defineGroup } from '../../src/processor/topology.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import { KINDS, logger, uniqueName, waitFor } from './harness.ts';

/** A property of `target`, methods bound to it (its private fields are not the proxy's). */
function bound(target: object, property: string | symbol): unknown {
  const value = Reflect.get(target, property);
  return typeof value === 'function' ? value.bind(target) : value;
}

/**
 * The broker with consumers whose commits reach it `delayMs` late (so that several batches of a partition are in
 * flight at once), and whose commit calls numbered in `failing` (1-based, across the run) fail there as a broker
 * failure would: the call's chain broken, then rejected.
 */
function slowFailingCommits(broker: Broker, delayMs: number, failing: Set<number>, seen: { calls: number; failed: number }): Broker {
  return new Proxy(broker, {
    get(target, property) {
      if (property !== 'consumer') return bound(target, property);
      return (options: Parameters<Broker['consumer']>[0]): GroupConsumer => {
        const consumer = target.consumer(options);
        const commitTransaction: GroupConsumer['commitTransaction'] = (records, positions, chain?: CommitChain) => {
          const call = ++seen.calls;
          return new Promise((resolve) => setTimeout(resolve, delayMs)).then(() => {
            if (!failing.has(call)) return consumer.commitTransaction(records, positions, chain);
            seen.failed += 1;
            const failure = new HeraldError('HERALD_BROKER_UNAVAILABLE', `injected failure of commit ${call}`);
            if (chain !== undefined) chain.failure ??= failure;
            throw failure;
          });
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
      const seen = { calls: 0, failed: 0 };
      const processor = new Processor(topology, {
        broker: slowFailingCommits(broker, 30, new Set([3, 9, 10, 20]), seen),
        dataDir: await brokers.dir(),
        logger,
        maxBatchSize: 4,
        inFlightBatches: 4,
      });
      await processor.start();
      t.after(() => processor.stop());
      const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
      const values = Array.from({ length: 240 }, (_, i) => (i % 5) + 1);
      const expected = new Map<string, number>();
      const emissions = values.map((value, i) => {
        const key = keys[i % keys.length];
        expected.set(key, (expected.get(key) ?? 0) + 2 * value); // once through each input
        return { key, value };
      });
      await Promise.all([new Emitter(broker.producer(), a, num).emitMany(emissions), new Emitter(broker.producer(), b, num).emitMany(emissions)]);
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
      assert.equal(seen.failed, 4, 'the injected failures were met');
      assert.ok(runs > 480, `batches after a failed commit ran again (${runs} callback runs for 480 records)`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(readAll(), 'and no batch was counted twice afterwards');
    });
  });
}
