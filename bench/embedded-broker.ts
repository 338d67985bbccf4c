/**
 * Embedded broker throughput and latency, next to a raw node:sqlite baseline doing the equivalent work without
 * Herald (same pragmas, one table per partition, one transaction per batch). Prints a table and a JSON line.
 *
 *   node bench/embedded-broker.ts [--records 300000] [--reps 3] [--dir /path/on/the/disk/to/test]
 *
 * - append: 200-byte records, sends of 1,000 awaited one after the other, durability 'fsync' (one fsync per send);
 *   "append x4" keeps four sends in flight, so the group commit shares fsyncs.
 * - consume: a group consumer (default maxBatchSize 500) reads a pre-filled 3-partition topic; "+commit" commits
 *   after every batch and awaits it.
 * - send latency: one record per send, awaited, durability 'fsync'.
 * Rates are the median (and range) of the repetitions, Herald and the baseline alternating; latency percentiles are
 * medians over the repetitions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import type { OutgoingRecord } from '../src/broker/port.ts';
import { createEmbeddedBroker, type EmbeddedBroker } from '../src/broker/embedded/index.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    reps: { type: 'string', default: '3' },
    dir: { type: 'string', default: os.tmpdir() },
    latencySamples: { type: 'string', default: '3000' },
    /** Runs only Herald's append measurement, e.g. under --cpu-prof. */
    profileAppend: { type: 'boolean', default: false },
  },
});
const RECORDS = Number(args.records);
const REPS = Number(args.reps);
const SAMPLES = Number(args.latencySamples);
const BATCH = 1_000;
const PARTITIONS = 3;
const VALUE = Buffer.alloc(200, 'x');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

/** A throughput sample: records per second of wall time, and CPU time (user + system) spent per record. */
interface Sample {
  rate: number;
  cpuUsPerRecord: number;
}

/** Times `body` (which handles `records` records) in wall-clock and CPU time. */
async function measure(records: number, body: () => Promise<void>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await body();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { rate: records / (wallMs / 1000), cpuUsPerRecord: (used.user + used.system) / records };
}

function freshDir(): string {
  return fs.mkdtempSync(path.join(args.dir, 'herald-bench-'));
}

async function withBroker<T>(fn: (broker: EmbeddedBroker, topic: string) => Promise<T>): Promise<T> {
  const dataDir = freshDir();
  const broker = createEmbeddedBroker({ kind: 'embedded', dataDir, durability: 'fsync' });
  try {
    await broker.start();
    await broker.admin.createTopic({ name: 'bench', partitions: PARTITIONS });
    return await fn(broker, 'bench');
  } finally {
    await broker.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function batchOf(topic: string): OutgoingRecord[] {
  return Array.from({ length: BATCH }, () => ({ topic, value: VALUE }));
}

async function heraldAppend(inFlight: number): Promise<Sample> {
  return withBroker(async (broker, topic) => {
    const producer = broker.producer();
    let sent = 0;
    const worker = async () => {
      while (sent < RECORDS) {
        sent += BATCH;
        await producer.send(batchOf(topic));
      }
    };
    return measure(RECORDS, async () => {
      await Promise.all(Array.from({ length: inFlight }, worker));
    });
  });
}

async function heraldConsume(commit: boolean): Promise<Sample> {
  return withBroker(async (broker, topic) => {
    const producer = broker.producer();
    for (let sent = 0; sent < RECORDS; sent += BATCH) await producer.send(batchOf(topic));
    const consumer = broker.consumer({ group: 'bench', topics: [topic] });
    let received = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const sample = await measure(RECORDS, async () => {
      await consumer.start({
        async onRecords(records) {
          received += records.length;
          if (commit) {
            const last = records[records.length - 1];
            await consumer.commit([{ topic, partition: last.partition, offset: last.offset + 1 }]);
          }
          if (received >= RECORDS) done();
        },
      });
      await finished;
    });
    await consumer.close();
    return sample;
  });
}

async function heraldLatency(): Promise<number[]> {
  return withBroker(async (broker, topic) => {
    const producer = broker.producer();
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES + 200; i++) {
      const start = performance.now();
      await producer.send([{ topic, value: VALUE }]);
      if (i >= 200) samples.push(performance.now() - start);
    }
    return samples.sort((a, b) => a - b);
  });
}

/** The baseline: what one would write with node:sqlite directly — a prepared single-row INSERT per record. */
class RawLog {
  readonly dir = freshDir();
  readonly db = new DatabaseSync(path.join(this.dir, 'raw.db'));
  readonly inserts: StatementSync[] = [];
  readonly reads: StatementSync[] = [];
  readonly next = new Array<number>(PARTITIONS).fill(0);

  constructor() {
    this.db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
    for (let p = 0; p < PARTITIONS; p++) {
      this.db.exec(`CREATE TABLE log_${p} (off INTEGER PRIMARY KEY, ts INTEGER NOT NULL, k BLOB, v BLOB, h TEXT)`);
      this.inserts.push(this.db.prepare(`INSERT INTO log_${p} VALUES (?, ?, ?, ?, ?)`));
      this.reads.push(this.db.prepare(`SELECT off, ts, k, v, h FROM log_${p} WHERE off >= ? ORDER BY off LIMIT ?`));
    }
  }

  append(count: number): void {
    this.db.exec('BEGIN');
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      const p = i % PARTITIONS;
      this.inserts[p].run(this.next[p]++, now, null, VALUE, null);
    }
    this.db.exec('COMMIT');
  }

  close(): void {
    this.db.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

async function rawAppend(): Promise<Sample> {
  const raw = new RawLog();
  const sample = await measure(RECORDS, async () => {
    for (let sent = 0; sent < RECORDS; sent += BATCH) {
      raw.append(BATCH);
      await new Promise(setImmediate);
    }
  });
  raw.close();
  return sample;
}

async function rawConsume(): Promise<Sample> {
  const raw = new RawLog();
  for (let sent = 0; sent < RECORDS; sent += BATCH) raw.append(BATCH);
  let received = 0;
  const sample = await measure(RECORDS, async () => {
    for (let p = 0; p < PARTITIONS; p++) {
      for (let offset = 0; ; ) {
        const rows = raw.reads[p].all(offset, 500) as { off: number; ts: number; v: Uint8Array }[];
        if (rows.length === 0) break;
        const records = rows.map((r) => ({ offset: r.off, timestamp: r.ts, value: Buffer.from(r.v.buffer) }));
        received += records.length;
        offset = rows[rows.length - 1].off + 1;
        await new Promise(setImmediate);
      }
    }
  });
  raw.close();
  if (received !== RECORDS) throw new Error(`raw consume read ${received} of ${RECORDS}`);
  return sample;
}

async function rawLatency(): Promise<number[]> {
  const raw = new RawLog();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES + 200; i++) {
    const start = performance.now();
    raw.append(1);
    await new Promise(setImmediate);
    if (i >= 200) samples.push(performance.now() - start);
  }
  raw.close();
  return samples.sort((a, b) => a - b);
}

interface Latency {
  p50: number;
  p99: number;
}

interface Rate {
  median: number;
  min: number;
  max: number;
  /** Median CPU microseconds per record. */
  cpuUsPerRecord: number;
}

function summary(samples: Sample[]): Rate {
  const values = samples.map((s) => s.rate);
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    cpuUsPerRecord: median(samples.map((s) => s.cpuUsPerRecord)),
  };
}

/**
 * Runs Herald and the baseline alternately, rep after rep, so that both see the same machine conditions (other
 * load on a shared machine shifts fsync times a lot).
 */
async function sideBySide<T>(
  herald: () => Promise<T>,
  raw: (() => Promise<T>) | null,
): Promise<{ herald: T[]; raw: T[] }> {
  const out: { herald: T[]; raw: T[] } = { herald: [], raw: [] };
  for (let i = 0; i < REPS; i++) {
    out.herald.push(await herald());
    if (raw !== null) out.raw.push(await raw());
  }
  return out;
}

async function rates(herald: () => Promise<Sample>, raw: (() => Promise<Sample>) | null) {
  const runs = await sideBySide(herald, raw);
  return { herald: summary(runs.herald), raw: raw === null ? null : summary(runs.raw) };
}

function latency(runs: number[][]): Latency {
  return {
    p50: median(runs.map((samples) => percentile(samples, 50))),
    p99: median(runs.map((samples) => percentile(samples, 99))),
  };
}

if (args.profileAppend) {
  process.stdout.write(`${JSON.stringify(await rates(() => heraldAppend(1), null))}\n`);
  process.exit(0);
}

const latencyRuns = await sideBySide(heraldLatency, rawLatency);
const results = {
  appendRecordsPerSec: await rates(() => heraldAppend(1), rawAppend),
  appendX4RecordsPerSec: await rates(() => heraldAppend(4), null),
  consumeRecordsPerSec: await rates(() => heraldConsume(false), rawConsume),
  consumeCommitEachBatchRecordsPerSec: await rates(() => heraldConsume(true), null),
  sendLatencyMs: { herald: latency(latencyRuns.herald), raw: latency(latencyRuns.raw) },
};

const round = (n: number) => Math.round(n).toLocaleString('en-US');
const rate = (r: Rate | null) =>
  r === null ? '-' : `${round(r.median)} (${round(r.min)}-${round(r.max)}) ${r.cpuUsPerRecord.toFixed(2)}us`;
const ms = (n: number) => n.toFixed(3);
const rows: string[][] = [
  [
    'append (1k-record sends, fsync)',
    rate(results.appendRecordsPerSec.herald),
    rate(results.appendRecordsPerSec.raw),
    '>= 300,000 rec/s',
  ],
  ['append, 4 sends in flight', rate(results.appendX4RecordsPerSec.herald), '-', ''],
  [
    'consume (group consumer)',
    rate(results.consumeRecordsPerSec.herald),
    rate(results.consumeRecordsPerSec.raw),
    '>= 500,000 rec/s',
  ],
  ['consume + commit each batch', rate(results.consumeCommitEachBatchRecordsPerSec.herald), '-', ''],
  ['send latency p50 (ms)', ms(results.sendLatencyMs.herald.p50), ms(results.sendLatencyMs.raw.p50), ''],
  ['send latency p99 (ms)', ms(results.sendLatencyMs.herald.p99), ms(results.sendLatencyMs.raw.p99), '< 2 ms'],
];
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  sqlite: (new DatabaseSync(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
  platform: `${os.platform()} ${os.release()}`,
  dir: args.dir,
  records: RECORDS,
  reps: REPS,
};
const widths = [32, 38, 38, 17];
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' ');
process.stdout.write(`${line(['rec/s: median (min-max) cpu/rec', 'herald', 'raw node:sqlite', 'target'])}\n`);
for (const row of rows) process.stdout.write(`${line(row)}\n`);
process.stdout.write(`${JSON.stringify({ machine, results })}\n`);
