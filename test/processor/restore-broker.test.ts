import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Broker } from '../../src/broker/port.ts';
import { jsonCodec } from '../../src/codec/index.ts';
import { Processor } from '../../src/processor/processor.ts';
import { defineGroup } from '../../src/processor/topology.ts';
import type { Guarantee } from '../../src/processor/options.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import { KINDS, logger, uniqueName, waitFor } from './harness.ts';

const amount = jsonCodec<number>();

function summing(group: string, input: string) {
  return defineGroup(group)
    .persist(jsonCodec<{ sum: number; n: number }>())
    .input(input, amount, (ctx, v) => {
      const s = ctx.get() ?? { sum: 0, n: 0 };
      ctx.set({ sum: s.sum + (v ?? 0), n: s.n + 1 });
    })
    .build();
}

async function sumsOf(broker: Broker, group: string, keys: number): Promise<Map<string, number>> {
  // Read the changelog's last value per key (what any restore would rebuild).
  const topic = `${group}-table`;
  const info = await broker.admin.describeTopic(topic);
  const out = new Map<string, number>();
  for (const p of info.partitions) {
    for (let offset = p.earliest; offset < p.latest; ) {
      const records = await broker.admin.read({ topic, partition: p.partition, offset }, 1000);
      if (records.length === 0) break;
      for (const r of records) out.set(String(r.key), JSON.parse(String(r.value)).sum);
      offset = records[records.length - 1].offset + 1;
    }
  }
  assert.ok(out.size <= keys);
  return out;
}

for (const kind of KINDS) {
  const guarantee: Guarantee = 'exactly-once';
  describe(`processor restore on ${kind.kind}`, { timeout: kind.timeoutMs }, () => {
    it('warm restart, cold restart (deleted store) and a torn store all end with the exact table', async (t) => {
      const brokers = await kind.open(t);
      if (brokers === undefined) return;
      const broker = await brokers.broker();
      const input = uniqueName('deposits');
      const group = uniqueName('sum');
      await broker.admin.createTopic({ name: input, partitions: 3 });
      const emitter = new Emitter(broker.producer(), input, amount);
      const dataDir = await brokers.dir();
      const topology = summing(group, input);
      const run = async (expectedRecords: number) => {
        const p = new Processor(topology, { broker: await brokers.broker(), logger, dataDir, guarantee });
        t.after(() => p.stop());
        await p.start();
        await waitFor('all records processed', async () => {
          const sums = await sumsOf(broker, group, 10);
          let n = 0;
          for (const v of sums.values()) n += v;
          return n === expectedRecords;
        });
        return p;
      };
      for (let i = 0; i < 30; i++) await emitter.emit(`k${i % 10}`, 1);
      const first = await run(30);
      assert.equal(first.status().partitions.length, 3);
      // The store is written behind the commits: its size catches up.
      await waitFor('ten keys in the store', () => first.status().partitions.reduce((s, p) => s + p.tableKeys, 0) === 10);
      await first.stop();

      for (let i = 0; i < 30; i++) await emitter.emit(`k${i % 10}`, 1);
      const warm = await run(60);
      assert.ok(warm.status().partitions.every((p) => p.restore?.mode === 'warm'));
      await warm.stop();

      await rm(join(dataDir, 'state', `${group}.db`), { force: true });
      for (let i = 0; i < 30; i++) await emitter.emit(`k${i % 10}`, 1);
      const cold = await run(90);
      assert.ok(cold.status().partitions.every((p) => p.restore?.mode === 'cold'));
      const sums = await sumsOf(broker, group, 10);
      for (const [key, sum] of sums) assert.equal(sum, 9, key);
      for (let i = 0; i < 10; i++) {
        const key = `k${i}`;
        const partition = cold.status().partitions.find((p) => cold.get(key, p.partition) !== undefined)?.partition;
        assert.notEqual(partition, undefined, `${key} is in the local table`);
        assert.deepEqual(cold.get(key, partition as number), { sum: 9, n: 9 });
      }
      await cold.stop();

      // A torn file: garbage where the database was. Distrusted, rebuilt from the changelog.
      await writeFile(join(dataDir, 'state', `${group}.db`), Buffer.alloc(64 * 1024, 0x5a));
      for (let i = 0; i < 10; i++) await emitter.emit(`k${i}`, 1);
      const torn = await run(100);
      assert.ok(torn.status().partitions.every((p) => p.restore?.mode === 'cold'));
      await torn.stop();
    });
  });
}
