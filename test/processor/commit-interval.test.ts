/**
 * `commitIntervalMs`: a processor hands it to its consumer as `transactionIntervalMs` (what the Kafka broker does
 * with it is tested in test/broker/kafka/transactions.test.ts); without it the consumer gets none, and the broker's
 * spacing by load applies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Broker, ConsumerOptions } from '../../src/broker/port.ts';
import { jsonCodec } from '../../src/codec/index.ts';
import { Processor } from '../../src/processor/processor.ts';
import { defineGroup } from '../../src/processor/topology.ts';
import { bound, KINDS, logger, uniqueName } from './harness.ts';

const [embedded] = KINDS;

describe('processor: commitIntervalMs', () => {
  it("reaches the consumer as its transactionIntervalMs, and is left to the broker's spacing by default", async (t) => {
    const brokers = await embedded.open(t);
    const real = await brokers!.broker();
    const seen: ConsumerOptions[] = [];
    const broker = new Proxy(real, {
      get: (target, property) =>
        property === 'consumer'
          ? (options: ConsumerOptions) => {
              seen.push(options);
              return target.consumer(options);
            }
          : bound(target, property),
    }) as Broker;
    const input = uniqueName('in');
    await real.admin.createTopic({ name: input, partitions: 1 });
    const num = jsonCodec<number>();
    for (const commitIntervalMs of [40, undefined]) {
      const topology = defineGroup(uniqueName('g'))
        .persist(num)
        .input(input, num, (ctx, v) => ctx.set(v ?? 0))
        .build();
      const processor = new Processor(topology, { broker, dataDir: await brokers!.dir(), logger, commitIntervalMs });
      await processor.start();
      await processor.stop();
    }
    assert.deepEqual(
      seen.map((options) => options.transactionIntervalMs),
      [40, undefined],
    );
  });
});
