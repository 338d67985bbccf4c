import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Broker, GroupConsumer } from '../../src/broker/port.ts';
import { jsonCodec } from '../../src/codec/index.ts';
import { HeraldError } from '../../src/errors.ts';
import { Processor } from '../../src/processor/processor.ts';
import { defineGroup } from '../../src/processor/topology.ts';
import { Emitter } from '../../src/runtime/emitter.ts';
import { bound, KINDS, logger, uniqueName, waitFor } from './harness.ts';

/** The broker with a consumer whose `commitTransaction` fails as `failures` says, then works. */
function failingCommits(broker: Broker, failures: HeraldError[]): Broker {
  return new Proxy(broker, {
    get(target, property) {
      if (property !== 'consumer') return bound(target, property);
      return (options: Parameters<Broker['consumer']>[0]): GroupConsumer => {
        const consumer = target.consumer(options);
        const commitTransaction: GroupConsumer['commitTransaction'] = (records, positions) => {
          const failure = failures.shift();
          return failure === undefined ? consumer.commitTransaction(records, positions) : Promise.reject(failure);
        };
        return new Proxy(consumer, {
          get: (c, p) => (p === 'commitTransaction' ? commitTransaction : bound(c, p)),
        });
      };
    },
  });
}

it('a commit that fails (broker down) is processed again from the committed offset: nothing lost or doubled', async (t) => {
  const brokers = await KINDS[0].open(t);
  if (brokers === undefined) return;
  const real = await brokers.broker();
  const input = uniqueName('in');
  const group = uniqueName('g');
  await real.admin.createTopic({ name: input, partitions: 1 });
  const num = jsonCodec<number>();
  let calls = 0;
  const topology = defineGroup(group)
    .persist(num)
    .input(input, num, (ctx, v) => {
      calls += 1;
      ctx.set((ctx.get() ?? 0) + (v ?? 0));
    })
    .build();
  const failures = [
    new HeraldError('HERALD_BROKER_UNAVAILABLE', 'injected'),
    new HeraldError('HERALD_TIMEOUT', 'injected'),
  ];
  const processor = new Processor(topology, { broker: failingCommits(real, failures), logger, maxBatchSize: 5 });
  await processor.start();
  t.after(() => processor.stop());
  const emitter = new Emitter(real.producer(), input, num);
  for (let i = 0; i < 20; i++) await emitter.emit('k', 1);
  await waitFor('twenty counted', () => processor.get('k', 0) === 20);
  assert.equal(failures.length, 0, 'both failures were met');
  assert.ok(calls > 20, 'the failed batches ran again');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(processor.get('k', 0), 20, 'and were counted once');
});

it('a commit refused because this instance was fenced drops the partition: none of its records is processed', async (t) => {
  const brokers = await KINDS[0].open(t);
  if (brokers === undefined) return;
  const real = await brokers.broker();
  const input = uniqueName('in');
  const group = uniqueName('g');
  await real.admin.createTopic({ name: input, partitions: 1 });
  const num = jsonCodec<number>();
  const topology = defineGroup(group)
    .persist(num)
    .input(input, num, (ctx, v) => ctx.set((ctx.get() ?? 0) + (v ?? 0)))
    .build();
  const processor = new Processor(topology, {
    broker: failingCommits(real, [new HeraldError('HERALD_FENCED', 'injected')]),
    logger,
  });
  await processor.start();
  t.after(() => processor.stop());
  const emitter = new Emitter(real.producer(), input, num);
  await emitter.emit('k', 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(processor.get('k', 0), undefined, 'the fenced batch left nothing');
  await emitter.emit('k', 2);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(processor.get('k', 0), undefined, 'nothing after it either (it would commit past the dropped one)');
  assert.deepEqual(processor.status().partitions, []);
});
