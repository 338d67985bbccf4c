import assert from 'node:assert/strict';
import { it } from 'node:test';
import { jsonCodec } from '../../src/codec/index.ts';
import { Processor } from '../../src/processor/processor.ts';
import { defineGroup, groupTable } from '../../src/processor/topology.ts';
import { View } from '../../src/processor/view.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import type { ServiceDefinition } from '../../src/platform/service.ts';
import { bootHerald, request } from '../support/boot.ts';
import { uniqueName, waitFor } from './harness.ts';

it('GET /admin/processors and /metrics show processors, restores, table sizes and views', async (t) => {
  const input = uniqueName('in');
  const group = uniqueName('g');
  const num = jsonCodec<number>();
  const topology = defineGroup(group)
    .persist(num)
    .input(input, num, (ctx, v) => ctx.set((ctx.get() ?? 0) + (v ?? 0)))
    .build();
  const service: ServiceDefinition = {
    name: 'counting',
    summary: 'counts',
    create({ broker, logger, metrics, processors, platform }) {
      const topics = {
        name: 'topics',
        start: () => broker.admin.createTopic({ name: input, partitions: 2 }),
        stop: async () => {},
      };
      const processor = new Processor(topology, {
        broker,
        logger,
        dataDir: platform.dataDir,
        guarantee: 'at-least-once',
        metrics,
        registry: processors,
      });
      const view = new View({ broker, table: groupTable(group), codec: num, registry: processors, metrics });
      return [topics, processor, view];
    },
  };
  const { url, broker } = await bootHerald(t, {}, [service]);
  const emitter = new Emitter(broker.producer(), input, num);
  for (let i = 0; i < 10; i++) await emitter.emit(`k${i}`, 1);
  await waitFor('ten keys in the table', async () => {
    const { body } = await request(`${url}/admin/processors`);
    const p = body.processors.find((x: { group: string }) => x.group === group);
    return p?.partitions.reduce((s: number, x: { tableKeys: number }) => s + x.tableKeys, 0) === 10;
  });
  const { status, body } = await request(`${url}/admin/processors`);
  assert.equal(status, 200);
  const [processor] = body.processors;
  assert.equal(processor.guarantee, 'at-least-once');
  assert.equal(processor.state, 'running');
  assert.deepEqual(
    processor.partitions.map((p: { partition: number; restore: { mode: string } }) => [p.partition, p.restore.mode]),
    [
      [0, 'cold'],
      [1, 'cold'],
    ],
  );
  assert.equal(body.views[0].table, groupTable(group));
  assert.equal(body.views[0].partitions.length, 2);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, new RegExp(`herald_processor_records_total\\{group="${group}"\\} 10`));
  assert.match(metrics, /herald_processor_restore_duration_seconds\{group="[^"]+",partition="0"\}/);
  assert.match(metrics, /herald_processor_table_writes_total/);
});
