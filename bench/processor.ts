/**
 * Stateful processor benchmarks, per broker (embedded; Kafka when one answers at --bootstrap). Prints a table and a
 * JSON line.
 *
 *   node bench/processor.ts [--brokers embedded,kafka] [--bootstrap 127.0.0.1:9092] [--records 300000]
 *                           [--keys 100000] [--restore-keys 1000000] [--latency-samples 500] [--reps 3]
 *                           [--skip noop,eos,alo,restore,latency]
 *
 * - rmw/exactly-once, rmw/at-least-once: a 3-partition topic of --records records over --keys keys; the callback
 *   reads the key's table value, adds the record's amount and writes it back as a 200-byte value. Rate from the
 *   first batch to the group's committed offsets reaching the end. Each is given as a ratio to noop/runtime: a
 *   Router with an empty handler over the same topic in the same run. Medians over --reps, the three alternating.
 * - restore/cold: a changelog of --restore-keys keys (200-byte values) restored into an empty SQLite store, all
 *   partitions in parallel, through the same code a processor runs on assignment.
 * - restore/warm: the same store reopened (quick_check) and brought to the changelog's end from its checkpoint.
 * - view/get: p50/p99 of `View.get` over random keys of a restored in-memory view.
 * - emit→view: p50/p99 from `Emitter.emit` of an input record to `View.waitForSource` resolving, one at a time,
 *   with a running exactly-once processor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Broker, OutgoingRecord } from '../src/broker/port.ts';
import { type BrokerSpec, createBroker } from '../src/broker/index.ts';
import type { Codec } from '../src/codec/codec.ts';
import { adminTail } from '../src/processor/log-tail.ts';
import type { Guarantee } from '../src/processor/options.ts';
import { Processor } from '../src/processor/processor.ts';
import { restorePartition } from '../src/processor/restore.ts';
import { defineGroup, groupTable } from '../src/processor/topology.ts';
import { View } from '../src/processor/view.ts';
import { Emitter } from '../src/runtime/emitter.ts';
import { Router } from '../src/runtime/router.ts';
import { SqliteStore } from '../src/state/sqlite-store.ts';

const { values: args } = parseArgs({
  options: {
    brokers: { type: 'string', default: 'embedded,kafka' },
    bootstrap: { type: 'string', default: '127.0.0.1:9092' },
    records: { type: 'string', default: '300000' },
    keys: { type: 'string', default: '100000' },
    'restore-keys': { type: 'string', default: '1000000' },
    'latency-samples': { type: 'string', default: '500' },
    skip: { type: 'string', default: '' },
    reps: { type: 'string', default: '3' },
  },
});
const RECORDS = Number(args.records);
const KEYS = Number(args.keys);
const RESTORE_KEYS = Number(args['restore-keys']);
const SAMPLES = Number(args['latency-samples']);
const SKIP = new Set(args.skip.split(',').filter(Boolean));
const REPS = Number(args.reps);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const PARTITIONS = 3;
const logger = pino({ level: 'warn' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let unique = 0;
const name = (prefix: string) => `bench-${prefix}-${process.pid}-${Date.now()}-${unique++}`;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/**
 * 200 bytes: a sum and padding, as the table value of the read-modify-write benchmark. Encoded as Node encodes
 * strings (`Buffer.from`): a slice of its shared pool, every byte written. (`Buffer.alloc(200)` — a zero-filled
 * buffer of its own per value — made the codec alone 7% of an exactly-once run.)
 */
const PAD = 'x'.repeat(192);
const wallet: Codec<{ sum: number }> = {
  name: 'wallet',
  encode: (v) => {
    const b = Buffer.allocUnsafe(200);
    b.writeDoubleBE(v.sum, 0);
    b.write(PAD, 8, 'latin1');
    return b;
  },
  decode: (b) => ({ sum: b.readDoubleBE(0) }),
};
const amount: Codec<number> = {
  name: 'amount',
  encode: (v) => Buffer.from(String(v)),
  decode: (b) => Number(b.toString('latin1')),
};

async function fill(broker: Broker, topic: string, count: number, value: (i: number) => Buffer, keys = KEYS) {
  await broker.admin.createTopic({ name: topic, partitions: PARTITIONS, compacted: topic.endsWith('-table') });
  const producer = broker.producer();
  const sends: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += 2_000) {
    const records: OutgoingRecord[] = [];
    for (let i = start; i < Math.min(count, start + 2_000); i++) {
      records.push({ topic, key: Buffer.from(`key-${i % keys}`), value: value(i) });
    }
    sends.push(producer.send(records));
    if (sends.length >= 4) await sends.shift();
  }
  await Promise.all(sends);
  await producer.close();
}

async function groupDone(broker: Broker, group: string, topic: string, total: number): Promise<void> {
  for (;;) {
    const info = await broker.admin.describeGroup(group).catch(() => undefined);
    const committed = info?.offsets.filter((o) => o.topic === topic).reduce((s, o) => s + (o.committed ?? 0), 0) ?? 0;
    if (committed >= total) return;
    await sleep(20);
  }
}

async function noopRuntime(broker: Broker, topic: string): Promise<number> {
  const group = name('noop');
  let first = 0;
  const router = new Router({ broker, logger, name: group, commitIntervalMs: 100 });
  router.handle(topic, group, async () => {
    first ||= performance.now();
  });
  await router.start();
  await groupDone(broker, group, topic, RECORDS);
  const rate = RECORDS / ((performance.now() - first) / 1_000);
  await router.stop();
  return rate;
}

async function rmw(broker: Broker, topic: string, guarantee: Guarantee, dataDir: string): Promise<number> {
  const group = name(`rmw-${guarantee}`);
  let first = 0;
  const topology = defineGroup(group)
    .persist(wallet)
    .input(topic, amount, (ctx, v) => {
      first ||= performance.now();
      ctx.set({ sum: (ctx.get()?.sum ?? 0) + (v ?? 0) });
    })
    .build();
  const processor = new Processor(topology, { broker, logger, dataDir, guarantee, maxBatchSize: 2_000 });
  await processor.start();
  await groupDone(broker, group, topic, RECORDS);
  const rate = RECORDS / ((performance.now() - first) / 1_000);
  await processor.stop();
  return rate;
}

async function restores(broker: Broker, dir: string): Promise<{ cold: number; warm: number }> {
  const topic = groupTable(name('restore'));
  const value = Buffer.alloc(200, 7);
  await fill(broker, topic, RESTORE_KEYS, () => value, RESTORE_KEYS);
  const tail = adminTail(broker);
  const file = join(dir, 'restore.db');
  const restoreAll = async () => {
    const started = performance.now();
    const store = new SqliteStore(file);
    await Promise.all([...Array(PARTITIONS).keys()].map((partition) => restorePartition({ store, tail, topic, partition })));
    const seconds = (performance.now() - started) / 1_000;
    const keys = [...Array(PARTITIONS).keys()].reduce((s, p) => s + store.size(p), 0);
    store.close();
    if (keys !== RESTORE_KEYS)
      throw new Error(`restored ${keys} keys, expected ${RESTORE_KEYS}`);
    return seconds;
  };
  const cold = await restoreAll();
  const warm = await restoreAll();
  await broker.admin.deleteTopic(topic);
  return { cold, warm };
}

async function latencies(broker: Broker, dataDir: string, guarantee: Guarantee) {
  const input = name('latency');
  const group = name('latency');
  await broker.admin.createTopic({ name: input, partitions: PARTITIONS });
  const topology = defineGroup(group)
    .persist(wallet)
    .input(input, amount, (ctx, v) => ctx.set({ sum: (ctx.get()?.sum ?? 0) + (v ?? 0) }))
    .build();
  const processor = new Processor(topology, { broker, logger, dataDir, guarantee });
  await processor.start();
  const emitter = new Emitter(broker.producer(), input, amount);
  for (let i = 0; i < 1_000; i++) await emitter.emit(`key-${i}`, 1);
  const view = new View({ broker, table: groupTable(group), codec: wallet });
  await view.start();
  const emits: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    const position = await emitter.emit(`key-${i % 1_000}`, 1);
    const outcome = await view.waitForSource(position, 5_000);
    if (!outcome.reached) throw new Error('emit never became visible');
    emits.push(performance.now() - started);
  }
  const gets: number[] = [];
  for (let i = 0; i < 100_000; i++) {
    const key = `key-${(i * 7919) % 1_000}`;
    const started = performance.now();
    view.get(key);
    gets.push(performance.now() - started);
  }
  await view.stop();
  await processor.stop();
  emits.sort((a, b) => a - b);
  gets.sort((a, b) => a - b);
  return {
    emitP50: percentile(emits, 0.5),
    emitP99: percentile(emits, 0.99),
    getP50: percentile(gets, 0.5),
    getP99: percentile(gets, 0.99),
  };
}

const results: Record<string, unknown>[] = [];
for (const kind of args.brokers.split(',')) {
  const dir = mkdtempSync(join(tmpdir(), `herald-bench-processor-${kind}-`));
  const spec: BrokerSpec =
    kind === 'embedded' ? { kind: 'embedded', dataDir: join(dir, 'broker') } : { kind: 'kafka', bootstrap: [args.bootstrap] };
  const broker = await createBroker(spec, logger);
  try {
    await broker.start();
  } catch (err) {
    process.stdout.write(`${kind}: unavailable (${(err as Error).message}); skipped\n`);
    continue;
  }
  const row: Record<string, unknown> = { broker: kind };
  const topic = name('rmw');
  await fill(broker, topic, RECORDS, (i) => Buffer.from(String((i % 5) + 1)));
  // Repetitions alternate the three, each in a fresh group (and state dir) over the same topic; medians.
  const rates: Record<'noop' | 'eos' | 'alo', number[]> = { noop: [], eos: [], alo: [] };
  for (let rep = 0; rep < REPS; rep++) {
    if (!SKIP.has('noop')) rates.noop.push(await noopRuntime(broker, topic));
    if (!SKIP.has('eos')) rates.eos.push(await rmw(broker, topic, 'exactly-once', join(dir, `eos-${rep}`)));
    if (!SKIP.has('alo')) rates.alo.push(await rmw(broker, topic, 'at-least-once', join(dir, `alo-${rep}`)));
  }
  row.noopRuntime = Math.round(median(rates.noop));
  row.exactlyOnce = Math.round(median(rates.eos));
  row.atLeastOnce = Math.round(median(rates.alo));
  row.ratiosEos = rates.eos.map((r, i) => Number((r / rates.noop[i]).toFixed(3)));
  row.ratiosAlo = rates.alo.map((r, i) => Number((r / rates.noop[i]).toFixed(3)));
  if (!SKIP.has('restore')) Object.assign(row, await restores(broker, dir));
  if (!SKIP.has('latency')) Object.assign(row, await latencies(broker, join(dir, 'lat'), 'exactly-once'));
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
  results.push(row);
  const ratio = (v: unknown) => (typeof v === 'number' ? ` (${(v / (row.noopRuntime as number)).toFixed(2)}× no-op)` : ' (n/a)');
  process.stdout.write(
    [
      `== ${kind}: ${RECORDS} records over ${KEYS} keys, 200-byte values`,
      `noop/runtime            ${row.noopRuntime} records/s`,
      `rmw/exactly-once        ${row.exactlyOnce} records/s${ratio(row.exactlyOnce)}`,
      `rmw/at-least-once       ${row.atLeastOnce} records/s${ratio(row.atLeastOnce)}`,
      `restore/cold ${RESTORE_KEYS} keys  ${typeof row.cold === 'number' ? row.cold.toFixed(2) : '-'} s`,
      `restore/warm            ${typeof row.warm === 'number' ? row.warm.toFixed(3) : '-'} s`,
      `view/get p50/p99        ${fmt(row.getP50)} / ${fmt(row.getP99)} ms`,
      `emit→view p50/p99       ${fmt(row.emitP50)} / ${fmt(row.emitP99)} ms`,
      '',
    ].join('\n'),
  );
}
process.stdout.write(`${JSON.stringify({ bench: 'processor', records: RECORDS, keys: KEYS, results })}\n`);

function fmt(v: unknown): string {
  return typeof v === 'number' ? v.toFixed(3) : '-';
}
