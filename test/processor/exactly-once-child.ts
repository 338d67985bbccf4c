/**
 * A processor summing deposits per wallet, run as a child process so the exactly-once test can SIGKILL it at any
 * moment. Args (JSON): broker spec, state dir, group, input topic, output topic, guarantee. Every input record also
 * emits `{id}` (the deposit's id) to the output topic. Reports `{"event":"processed","committed":n}` as commits
 * land, and `{"event":"done"}` once the group has committed every input partition to its end.
 */
import { pino } from 'pino';
import type { BrokerSpec } from '../../src/broker/index.ts';
import { createBroker } from '../../src/broker/index.ts';
import { jsonCodec } from '../../src/codec/index.ts';
import type { Guarantee } from '../../src/processor/options.ts';
import { Processor } from '../../src/processor/processor.ts';
import { defineGroup } from '../../src/processor/topology.ts';

const [spec, stateDir, group, input, output, guarantee] = process.argv.slice(2).map((a) => JSON.parse(a)) as [
  BrokerSpec,
  string,
  string,
  string,
  string,
  Guarantee,
];
const say = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);

try {
  const logger = pino({ level: process.env.HERALD_TEST_LOG ?? 'silent' }, pino.destination(2));
  const broker = await createBroker(spec, logger);
  await broker.start();
  const topology = defineGroup(group)
    .persist(jsonCodec<{ total: number; deposits: number }>())
    .output(output, jsonCodec<{ id: number }>())
    .input(input, jsonCodec<{ id: number; amount: number }>(), async (ctx, deposit) => {
      if (deposit === null) return;
      // A floor under the run's length (≥ ~1 s for 10,000 deposits): on a quiet machine the work would otherwise
      // end before the test's kills, which come up to 430 ms apart, could land. Load only makes it slower.
      if (deposit.id % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const wallet = ctx.get() ?? { total: 0, deposits: 0 };
      ctx.set({ total: wallet.total + deposit.amount, deposits: wallet.deposits + 1 });
      ctx.emit(output, ctx.key, { id: deposit.id });
    })
    .build();
  const processor = new Processor(topology, {
    broker,
    logger,
    dataDir: stateDir,
    guarantee,
    sessionTimeoutMs: 6_000,
    // Small batches: many commits, so that kills land between and inside them.
    maxBatchSize: 100,
  });
  await processor.start();
  say({ event: 'started' });
  const inputInfo = await broker.admin.describeTopic(input);
  const ends = new Map(inputInfo.partitions.map((p) => [p.partition, p.latest]));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const info = await broker.admin.describeGroup(group).catch(() => undefined);
    if (info === undefined) continue;
    const offsets = info.offsets.filter((o) => o.topic === input);
    const committed = offsets.reduce((sum, o) => sum + (o.committed ?? 0), 0);
    say({ event: 'processed', committed });
    const done = [...ends].every(([p, end]) => offsets.find((o) => o.partition === p)?.committed === end);
    if (done) break;
  }
  await processor.stop();
  await broker.stop();
  say({ event: 'done' });
  process.exit(0);
} catch (err) {
  say({ event: 'error', message: (err as Error).stack ?? String(err) });
  process.exit(1);
}
