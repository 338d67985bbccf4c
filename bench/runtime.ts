/**
 * Handler runtime throughput, per broker (embedded; Kafka when one answers at --bootstrap). Prints a table and a
 * JSON line.
 *
 *   node bench/runtime.ts [--brokers embedded,kafka] [--bootstrap 127.0.0.1:9092] [--slow-records 30000]
 *                         [--noop-records 1000000] [--reps 3] [--concurrency 200] [--window-ms 5000] [--tracing]
 *
 * - slow/key: a 3-partition topic, 1,000 distinct keys, a handler that awaits 50 ms; Router in `key` mode with
 *   --concurrency per partition. Every record carries its per-key sequence number and the run fails on any
 *   inversion (a key's records must complete 0, 1, 2, … one at a time).
 * - slow/partition: the same topic and handler in `partition` mode (one record per partition at a time), counted
 *   over --window-ms (at 50 ms per record it is bounded near 3 × 20 = 60 records/s).
 * - noop/raw: the hand-written loop on the broker's GroupConsumer: onRecords awaits the same no-op handler for each
 *   record in turn, and each partition's position is committed once a second (the runtime's default interval).
 * - noop/raw+commit: the same loop committing each batch (awaited) before taking the next — what a hand-written
 *   at-least-once loop must do without the runtime's offset tracking.
 * - noop/runtime: a Router with its defaults (tracing, dead letter, retry, key mode, throttled commits) and an
 *   empty handler.
 * - with --tracing, also noop/runtime with Herald's tracing configured but sampling nothing (ratio 0), and fully
 *   sampled (ratio 1, spans kept in the in-memory recent-trace store): what tracing costs a record when it is on
 *   but unsampled, and when every record is a trace.
 * Rates run from the first record handed over to the last one done (group join excluded). No-op rates are the
 * median over --reps, raw and runtime alternating, each in a fresh consumer group on the same pre-filled topic.
 * The no-op topic is large because the clock starts at the first record: a Kafka consumer has by then fetched and
 * decoded its first response (1 MiB per partition, ~90,000 of these records), so over a small topic the rates
 * measure a loop over records already in memory rather than a consumer (200,000 records gave the raw loop
 * 2.4–3.1 M/s against 1.2–1.3 M/s over 1,000,000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Broker, BrokerRecord, RecordPosition } from '../src/broker/port.ts';
import { type BrokerSpec, createBroker } from '../src/broker/index.ts';
import type { OrderingMode } from '../src/runtime/key-scheduler.ts';
import { Router } from '../src/runtime/router.ts';
import { installContextManager } from '../src/telemetry/trace-context.ts';
import { Tracing } from '../src/telemetry/tracing.ts';

const { values: args } = parseArgs({
  options: {
    brokers: { type: 'string', default: 'embedded,kafka' },
    bootstrap: { type: 'string', default: '127.0.0.1:9092' },
    'slow-records': { type: 'string', default: '30000' },
    'noop-records': { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '200' },
    'window-ms': { type: 'string', default: '5000' },
    tracing: { type: 'boolean', default: false },
  },
});
const SLOW_RECORDS = Number(args['slow-records']);
const NOOP_RECORDS = Number(args['noop-records']);
const REPS = Number(args.reps);
const CONCURRENCY = Number(args.concurrency);
const WINDOW_MS = Number(args['window-ms']);
const PARTITIONS = 3;
const KEYS = 1_000;
const HANDLER_MS = 50;
const logger = pino({ level: 'warn' });
let groupCounter = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Fills a fresh 3-partition topic with `count` records over 1,000 keys; the value is the key's sequence number. */
async function fill(broker: Broker, count: number): Promise<string> {
  const topic = `bench-runtime-${process.pid}-${Date.now()}-${count}`;
  await broker.admin.createTopic({ name: topic, partitions: PARTITIONS });
  const producer = broker.producer();
  const seq = new Array<number>(KEYS).fill(0);
  const sends: Promise<RecordPosition[]>[] = [];
  for (let start = 0; start < count; start += 1_000) {
    const records = [];
    for (let i = start; i < Math.min(count, start + 1_000); i++) {
      const key = i % KEYS;
      records.push({ topic, key: Buffer.from(`key-${key}`), value: Buffer.from(String(seq[key]++)) });
    }
    sends.push(producer.send(records));
    if (sends.length >= 4) await sends.shift();
  }
  await Promise.all(sends);
  await producer.close();
  return topic;
}

const group = () => `bench-runtime-${process.pid}-${++groupCounter}`;

/** Polls `done` until it holds (or `timeoutMs`, a hang guard). */
async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`bench gave up waiting for ${what}`);
    await sleep(5);
  }
}

interface SlowResult {
  mode: OrderingMode;
  records: number;
  seconds: number;
  rate: number;
  inversions: number;
}

/** Runs the 50 ms handler in `mode` until `records` are done or `windowMs` passed since the first one started. */
async function slow(broker: Broker, topic: string, mode: OrderingMode, records: number, windowMs: number) {
  const expected = new Map<string, number>();
  const running = new Set<string>();
  let inversions = 0;
  let done = 0;
  let first = 0;
  let last = 0;
  const router = new Router({ broker, logger, mode, concurrency: CONCURRENCY, maxInFlight: CONCURRENCY * 10 });
  router.handle(topic, group(), async (m) => {
    first ||= performance.now();
    const key = m.key!;
    const seq = Number(m.record.value);
    if (running.has(key) || seq !== (expected.get(key) ?? 0)) inversions += 1;
    running.add(key);
    await sleep(HANDLER_MS);
    running.delete(key);
    expected.set(key, seq + 1);
    done += 1;
    last = performance.now();
  });
  await router.start();
  await until(
    () => done >= records || (first > 0 && performance.now() - first >= windowMs),
    records * HANDLER_MS + 60_000,
    `${mode} mode`,
  );
  const seconds = (last - first) / 1000;
  await router.stop();
  return { mode, records: done, seconds, rate: done / seconds, inversions } satisfies SlowResult;
}

/**
 * The hand-written loop: the handler for each record in turn; positions committed once a second, or after every
 * batch (`commitEachBatch`).
 */
async function rawNoop(broker: Broker, topic: string, records: number, commitEachBatch = false): Promise<number> {
  const consumer = broker.consumer({ group: group(), topics: [topic] });
  const positions = new Map<number, RecordPosition>();
  let count = 0;
  let first = 0;
  let last = 0;
  const handler = async (_record: BrokerRecord) => {
    first ||= performance.now();
    count += 1;
    last = performance.now();
  };
  const timer = setInterval(() => void consumer.commit([...positions.values()]).catch(() => {}), 1_000);
  await consumer.start({
    async onRecords(batch) {
      for (const record of batch) await handler(record);
      const tail = batch[batch.length - 1];
      const position = { topic, partition: tail.partition, offset: tail.offset + 1 };
      if (commitEachBatch) await consumer.commit([position]);
      else positions.set(tail.partition, position);
    },
  });
  await until(() => count >= records, 300_000, 'the raw consumer');
  clearInterval(timer);
  await consumer.close();
  return records / ((last - first) / 1000);
}

async function runtimeNoop(broker: Broker, topic: string, records: number): Promise<number> {
  let count = 0;
  let first = 0;
  let last = 0;
  const router = new Router({ broker, logger });
  router.handle(topic, group(), async () => {
    first ||= performance.now();
    count += 1;
    last = performance.now();
  });
  await router.start();
  await until(() => count >= records, 300_000, 'the runtime');
  await router.stop();
  return records / ((last - first) / 1000);
}

/** Runs `run` with Herald's tracing registered: sampling nothing, or every trace (kept in the recent store). */
async function traced<T>(mode: 'unsampled' | 'sampled', run: () => Promise<T>): Promise<T> {
  installContextManager();
  const tracing = new Tracing({
    endpoint: undefined,
    sampleRatio: mode === 'sampled' ? 1 : 0,
    perSecond: 0,
    recent: 1_000,
    resource: { 'service.name': 'bench' },
  });
  tracing.start();
  await new Promise((resolve) => setImmediate(resolve)); // seen from the next turn
  try {
    return await run();
  } finally {
    await tracing.stop();
  }
}

async function open(kind: string): Promise<{ broker: Broker; close: () => Promise<void> } | undefined> {
  const dataDir = kind === 'embedded' ? mkdtempSync(join(tmpdir(), 'herald-bench-runtime-')) : '';
  const spec: BrokerSpec =
    kind === 'embedded' ? { kind: 'embedded', dataDir } : { kind: 'kafka', bootstrap: args.bootstrap.split(',') };
  const broker = await createBroker(spec, logger);
  try {
    await broker.start();
    await broker.ping();
  } catch (err) {
    process.stderr.write(`${kind}: not reachable (${(err as Error).message}); skipped\n`);
    await broker.stop().catch(() => {});
    return undefined;
  }
  return {
    broker,
    close: async () => {
      await broker.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const results: Record<string, unknown>[] = [];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
for (const kind of args.brokers.split(',')) {
  const opened = await open(kind);
  if (opened === undefined) continue;
  const { broker } = opened;
  try {
    const slowTopic = await fill(broker, SLOW_RECORDS);
    const key = await slow(broker, slowTopic, 'key', SLOW_RECORDS, Number.POSITIVE_INFINITY);
    const partition = await slow(broker, slowTopic, 'partition', SLOW_RECORDS, WINDOW_MS);
    if (key.inversions > 0 || partition.inversions > 0) throw new Error('per-key order was violated');

    const noopTopic = await fill(broker, NOOP_RECORDS);
    const raw: number[] = [];
    const rawCommit: number[] = [];
    const runtime: number[] = [];
    const unsampled: number[] = [];
    const sampled: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      raw.push(await rawNoop(broker, noopTopic, NOOP_RECORDS));
      runtime.push(await runtimeNoop(broker, noopTopic, NOOP_RECORDS));
      if (args.tracing) {
        unsampled.push(await traced('unsampled', () => runtimeNoop(broker, noopTopic, NOOP_RECORDS)));
        sampled.push(await traced('sampled', () => runtimeNoop(broker, noopTopic, NOOP_RECORDS)));
      }
      rawCommit.push(await rawNoop(broker, noopTopic, NOOP_RECORDS, true));
    }
    const tracingResult = args.tracing
      ? {
          unsampled: { median: Math.round(median(unsampled)), reps: unsampled.map(Math.round) },
          sampled: { median: Math.round(median(sampled)), reps: sampled.map(Math.round) },
          unsampledRatio: Number((median(unsampled) / median(runtime)).toFixed(3)),
          // Paired per repetition, like noopPairedRatio.
          unsampledPairedRatio: Number(median(unsampled.map((r, i) => r / runtime[i])).toFixed(3)),
          sampledMicrosPerRecord: Number(median(sampled.map((r, i) => 1e6 / r - 1e6 / runtime[i])).toFixed(2)),
        }
      : undefined;
    const result = {
      broker: kind,
      slowKey: { records: key.records, seconds: Number(key.seconds.toFixed(2)), rate: Math.round(key.rate) },
      slowPartition: {
        records: partition.records,
        seconds: Number(partition.seconds.toFixed(2)),
        rate: Math.round(partition.rate),
      },
      noopRaw: { median: Math.round(median(raw)), reps: raw.map(Math.round) },
      noopRawCommit: { median: Math.round(median(rawCommit)), reps: rawCommit.map(Math.round) },
      noopRuntime: { median: Math.round(median(runtime)), reps: runtime.map(Math.round) },
      noopRatio: Number((median(runtime) / median(raw)).toFixed(3)),
      // Each repetition runs raw then runtime back to back: the median of those pairs' ratios is less moved by the
      // machine's other load than the ratio of the medians.
      noopPairedRatio: Number(median(runtime.map((r, i) => r / raw[i])).toFixed(3)),
      noopRatioCommit: Number((median(runtime) / median(rawCommit)).toFixed(3)),
      tracing: tracingResult,
    };
    results.push(result);
    process.stdout.write(
      [
        `${kind}:`,
        `  50 ms handler, key mode (concurrency ${CONCURRENCY}/partition): ${fmt(key.rate)} records/s (${key.records} records, order verified)`,
        `  50 ms handler, partition mode:                 ${fmt(partition.rate)} records/s (${partition.records} records in ${partition.seconds.toFixed(1)} s)`,
        `  no-op, raw consumer:            ${fmt(median(raw))} records/s (${raw.map(fmt).join(', ')})`,
        `  no-op, raw + commit per batch:  ${fmt(median(rawCommit))} records/s (${rawCommit.map(fmt).join(', ')})`,
        `  no-op, runtime:                 ${fmt(median(runtime))} records/s (${runtime.map(fmt).join(', ')})`,
        `  runtime / raw:                  ${result.noopRatio} (median of the repetitions' ratios ${result.noopPairedRatio})`,
        `  runtime / raw + commit:         ${result.noopRatioCommit}`,
        ...(tracingResult === undefined
          ? []
          : [
              `  no-op, runtime, tracing unsampled: ${fmt(median(unsampled))} records/s (${unsampled.map(fmt).join(', ')}); ${tracingResult.unsampledRatio}× of tracing off (median of the repetitions' ratios ${tracingResult.unsampledPairedRatio})`,
              `  no-op, runtime, tracing sampled:   ${fmt(median(sampled))} records/s (${sampled.map(fmt).join(', ')}); +${tracingResult.sampledMicrosPerRecord} µs per record`,
            ]),
        '',
      ].join('\n'),
    );
    if (kind === 'kafka') {
      await broker.admin.deleteTopic(slowTopic).catch(() => {});
      await broker.admin.deleteTopic(noopTopic).catch(() => {});
    }
  } finally {
    await opened.close();
  }
}
process.stdout.write(`${JSON.stringify({ bench: 'runtime', node: process.version, results })}\n`);
