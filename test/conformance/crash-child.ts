/**
 * A process for the crash tests to kill with SIGKILL. Usage:
 *
 *   node test/conformance/crash-child.ts <broker-spec-json> <plan-json>
 *
 * It consumes `plan.topic` in `plan.group`, committing each partition up to `plan.commitBelow` and no further, then
 * sends records to `plan.produceTopic` one by one, forever. It reports progress as JSON lines on stdout, each written
 * only after the step is done (a `committed` or `sent` line means the broker said it is durable):
 *   {"event":"record","partition":0,"offset":3}
 *   {"event":"committed","partition":0,"offset":10}
 *   {"event":"consumed"}                       every expected record handed over, every commit done
 *   {"event":"sent","partition":0,"offset":7,"value":"crash-7"}
 *   {"event":"error","message":"…"}             then it exits with code 1
 */
import type { BrokerRecord } from '../../src/broker/port.ts';
import { type BrokerSpec, createBroker } from '../../src/broker/index.ts';

export interface CrashPlan {
  topic: string;
  group: string;
  /** Records expected in `topic`, all partitions together. */
  expected: number;
  /** Each partition is committed up to this offset (records `0..commitBelow-1` done), never further. */
  commitBelow: number;
  produceTopic: string;
  sessionTimeoutMs?: number;
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as BrokerSpec;
  const plan = JSON.parse(process.argv[3]) as CrashPlan;
  const broker = await createBroker(spec);
  await broker.start();
  const consumer = broker.consumer({
    group: plan.group,
    topics: [plan.topic],
    clientId: 'crash-child',
    ...(plan.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: plan.sessionTimeoutMs }),
  });
  let handed = 0;
  const committed = new Set<number>();
  let partitionsSeen = new Set<number>();
  let consumed: () => void = () => {};
  const allConsumed = new Promise<void>((resolve) => {
    consumed = resolve;
  });
  const check = () => {
    if (handed >= plan.expected && [...partitionsSeen].every((p) => committed.has(p))) consumed();
  };
  await consumer.start({
    async onRecords(records: BrokerRecord[]) {
      for (const r of records) emit({ event: 'record', partition: r.partition, offset: r.offset });
      handed += records.length;
      const { topic, partition } = records[0];
      partitionsSeen = new Set([...partitionsSeen, partition]);
      const last = records[records.length - 1].offset;
      if (!committed.has(partition) && last + 1 >= plan.commitBelow) {
        await consumer.commit([{ topic, partition, offset: plan.commitBelow }]);
        committed.add(partition);
        emit({ event: 'committed', partition, offset: plan.commitBelow });
      }
      check();
    },
  });
  await allConsumed;
  emit({ event: 'consumed' });

  const producer = broker.producer();
  for (let i = 0; ; i++) {
    const value = `crash-${i}`;
    const [pos] = await producer.send([{ topic: plan.produceTopic, value: Buffer.from(value) }]);
    emit({ event: 'sent', partition: pos.partition, offset: pos.offset, value });
  }
}

main().catch((err: unknown) => {
  emit({ event: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  process.exit(1);
});
