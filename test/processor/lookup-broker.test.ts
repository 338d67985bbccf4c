import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec } from '../../src/codec/index.ts';
import { Processor } from '../../src/processor/processor.ts';
import { defineGroup, groupTable } from '../../src/processor/topology.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import { KINDS, logger, uniqueName, waitFor } from './harness.ts';

const num = jsonCodec<number>();

for (const kind of KINDS) {
  describe(`lookups and joins on ${kind.kind}`, { timeout: kind.timeoutMs }, () => {
    it('reads a co-partitioned table by its own key (join) and by any key (lookup)', async (t) => {
      const brokers = await kind.open(t);
      if (brokers === undefined) return;
      const broker = await brokers.broker();
      const limitsIn = uniqueName('limits');
      const deposits = uniqueName('deposits');
      const limitsGroup = uniqueName('limits');
      const group = uniqueName('checks');
      await broker.admin.createTopic({ name: limitsIn, partitions: 2 });
      await broker.admin.createTopic({ name: deposits, partitions: 2 });
      const limits = new Processor(
        defineGroup(limitsGroup)
          .persist(num)
          .input(limitsIn, num, (ctx, v) => ctx.set(v ?? 0))
          .build(),
        { broker, logger },
      );
      await limits.start();
      t.after(() => limits.stop());
      const limitEmitter = new Emitter(broker.producer(), limitsIn, num);
      await limitEmitter.emit('w1', 100);
      await limitEmitter.emit('default', 10);
      await waitFor('limits table', async () => {
        const ends = await broker.admin.endOffsets(groupTable(limitsGroup));
        return ends.reduce((s, p) => s + p.latest, 0) >= 2;
      });
      const checks = new Processor(
        defineGroup(group)
          .persist(jsonCodec<{ joined: number | null; fallback: number | null }>())
          .join(groupTable(limitsGroup), num)
          .input(deposits, num, (ctx) => {
            ctx.set({
              joined: ctx.join(groupTable(limitsGroup)) ?? null,
              fallback: ctx.lookup(groupTable(limitsGroup), 'default') ?? null,
            });
          })
          .build(),
        { broker, logger },
      );
      await checks.start();
      t.after(() => checks.stop());
      const depositEmitter = new Emitter(broker.producer(), deposits, num);
      const w1 = await depositEmitter.emit('w1', 1);
      const w2 = await depositEmitter.emit('w2', 1);
      const checked = () => checks.get('w1', w1.partition) !== undefined && checks.get('w2', w2.partition) !== undefined;
      await waitFor('both checked', checked);
      assert.deepEqual(checks.get('w1', w1.partition), { joined: 100, fallback: 10 });
      assert.deepEqual(checks.get('w2', w2.partition), { joined: null, fallback: 10 });
    });
  });
}
