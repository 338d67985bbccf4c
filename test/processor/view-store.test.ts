import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { jsonCodec } from '../../src/codec/index.ts';
import { Processor } from '../../src/processor/processor.ts';
import { ProcessorRegistry } from '../../src/processor/registry.ts';
import { defineGroup, groupTable } from '../../src/processor/topology.ts';
import { View } from '../../src/processor/view.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import { KINDS, logger, uniqueName, waitFor } from './harness.ts';

it('a view kept in SQLite restarts from its checkpoints and waits for changelog positions', async (t) => {
  const brokers = await KINDS[0].open(t);
  if (brokers === undefined) return;
  const broker = await brokers.broker();
  const input = uniqueName('in');
  const group = uniqueName('g');
  await broker.admin.createTopic({ name: input, partitions: 2 });
  const num = jsonCodec<number>();
  const processor = new Processor(
    defineGroup(group)
      .persist(num)
      .input(input, num, (ctx, v) => (v === 0 ? ctx.delete() : ctx.set((ctx.get() ?? 0) + (v ?? 0))))
      .build(),
    { broker, logger },
  );
  await processor.start();
  t.after(() => processor.stop());
  const emitter = new Emitter(broker.producer(), input, num);
  for (let i = 0; i < 10; i++) await emitter.emit(`k${i}`, 1);
  const file = join(await brokers.dir(), 'view.db');
  const registry = new ProcessorRegistry();
  const first = new View({ broker, table: groupTable(group), codec: num, store: { sqlite: file }, registry });
  await first.start();
  await waitFor('ten keys', () => [...first.entries()].length === 10);
  assert.equal(registry.views().length, 1);
  const positions = first.positions();
  await first.stop();
  assert.equal(registry.views().length, 0);

  const deleted = await emitter.emit('k0', 0); // a delete while the view is down
  const second = new View({ broker, table: groupTable(group), codec: num, store: { sqlite: file } });
  await second.start();
  t.after(() => second.stop());
  assert.equal((await second.waitForSource(deleted, 10_000)).reached, true);
  const ends = await broker.admin.endOffsets(groupTable(group));
  for (const p of ends) {
    const outcome = await second.waitUntil({ partition: p.partition, offset: p.latest }, 10_000);
    assert.equal(outcome.reached, true);
  }
  assert.equal(second.get('k0'), undefined, 'the delete arrived');
  assert.equal([...second.entries()].length, 9);
  assert.ok(second.positions().every((p, i) => p.position >= positions[i].position));
  await assert.rejects(second.waitUntil({ partition: 9, offset: 0 }, 10), { code: 'HERALD_PARTITION_OUT_OF_RANGE' });
  assert.throws(() => new View({ broker, table: 'x', codec: num }).get('k'), { code: 'HERALD_INVALID_ARGUMENT' });
});
