/**
 * The embedded broker's Kafka listener against a real Kafka node, with Kafka's own load tools and kcat, in one run.
 * Prints a table and a JSON line.
 *
 *   node bench/kafka-listener.ts [--records 1000000] [--reps 3] [--kafka 127.0.0.1:9092] [--rate 20000]
 *                                [--durability fsync,os] [--no-kcat]
 *
 * Targets: the embedded broker started in this process (with the `herald` command's V8 settings) with its Kafka
 * listener on a free loopback port (one per durability given: `fsync` is Herald's default, `os` leaves flushing to
 * the OS as Kafka does), and the Kafka node at --kafka. For each repetition and target (the order alternates), on a
 * fresh one-partition topic:
 * - ProducerPerformance, 200-byte records, acks=all (idempotent, the Java client's defaults otherwise), as fast as
 *   it can: records/s and its latency percentiles;
 * - ProducerPerformance at a fixed --rate: latency percentiles when neither side is saturated;
 * - ConsumerPerformance reading the topic: fetch.nMsg.sec (group join excluded);
 * - kcat producing the same number of 200-byte lines (acks=all) and consuming them (three reads, the median), timed
 *   end to end.
 * Figures are medians over --reps. The load average is printed before and after.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { kafkaClasspath } from '../scripts/kafka/index.ts';
import { createEmbeddedBroker, type EmbeddedBroker } from '../src/broker/embedded/index.ts';
import { applyV8Settings } from '../src/platform/v8-settings.ts';

// The embedded brokers run in this process: with the V8 settings of the `herald` command that serves them to users.
applyV8Settings();

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    reps: { type: 'string', default: '3' },
    kafka: { type: 'string', default: '127.0.0.1:9092' },
    rate: { type: 'string', default: '20000' },
    durability: { type: 'string', default: 'fsync,os' },
    'no-kcat': { type: 'boolean', default: false },
  },
});
const RECORDS = Number(args.records);
const REPS = Number(args.reps);
const RATE = Number(args.rate);
const VALUE_BYTES = 200;
/** kcat reads of each produced topic; the median counts. */
const KCAT_READS = 3;
const RUN = `${process.pid}-${Date.now().toString(36)}`;

interface Measurement {
  producePerSec: number;
  produceP50: number;
  produceP99: number;
  ratedP50: number;
  ratedP99: number;
  consumePerSec: number;
  kcatProducePerSec?: number;
  kcatConsumePerSec?: number;
}

function run(command: string, argv: string[], stdinFile?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `exec "$0" "$@"${stdinFile ? ` < '${stdinFile}'` : ''}`, command, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${err.slice(-2000)}`))));
  });
}

const java = (mainClass: string, argv: string[]) => run('java', ['-Xmx512m', '-cp', kafkaClasspath(), mainClass, ...argv]);

/** ProducerPerformance's final line: records/s and the 50th and 99th latency percentiles (ms). */
async function producerPerformance(bootstrap: string, topic: string, records: number, throughput: number) {
  const out = await java('org.apache.kafka.tools.ProducerPerformance', [
    ...['--topic', topic, '--num-records', String(records), '--record-size', String(VALUE_BYTES)],
    ...['--throughput', String(throughput), '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all'],
  ]);
  const final = out.trim().split('\n').filter((line) => line.startsWith(`${records} records sent`)).pop() ?? '';
  const number = (pattern: RegExp) => Number(pattern.exec(final)?.[1]);
  const result = { perSec: number(/([\d.]+) records\/sec/), p50: number(/(\d+) ms 50th/), p99: number(/(\d+) ms 99th/) };
  if (!Number.isFinite(result.perSec)) throw new Error(`unexpected ProducerPerformance output:\n${out}`);
  return result;
}

async function consumerPerformance(bootstrap: string, topic: string, records: number): Promise<number> {
  const out = await java('org.apache.kafka.tools.ConsumerPerformance', [
    ...['--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(records), '--timeout', '120000'],
  ]);
  const lines = out.trim().split('\n');
  const header = lines.findIndex((line) => line.includes('fetch.nMsg.sec'));
  if (header < 0) throw new Error(`unexpected ConsumerPerformance output:\n${out}`);
  const columns = lines[header].split(',').map((c) => c.trim());
  return Number(lines[header + 1].split(',')[columns.indexOf('fetch.nMsg.sec')]);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function freshTopic(bootstrap: string, name: string): Promise<string> {
  const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: [bootstrap] });
  try {
    await admin.createTopics({ topics: [name], partitions: 1, replicas: -1 });
  } finally {
    await admin.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  return name;
}

async function measure(target: string, bootstrap: string, lines: string | null, rep: number): Promise<Measurement> {
  const topic = await freshTopic(bootstrap, `bench-listener-${target}-${RUN}-${rep}`);
  const produced = await producerPerformance(bootstrap, topic, RECORDS, -1);
  const consumePerSec = await consumerPerformance(bootstrap, topic, RECORDS);
  const ratedTopic = await freshTopic(bootstrap, `bench-listener-rated-${target}-${RUN}-${rep}`);
  const rated = await producerPerformance(bootstrap, ratedTopic, Math.min(RECORDS, RATE * 15), RATE);
  const result: Measurement = {
    producePerSec: produced.perSec,
    produceP50: produced.p50,
    produceP99: produced.p99,
    ratedP50: rated.p50,
    ratedP99: rated.p99,
    consumePerSec,
  };
  if (lines !== null) {
    const kcatTopic = await freshTopic(bootstrap, `bench-listener-kcat-${target}-${RUN}-${rep}`);
    const produceMs = await timed(() => run('kcat', ['-P', '-b', bootstrap, '-t', kcatTopic, '-X', 'acks=all'], lines));
    // A read takes well under a second, so one timing swings by half: the median of three reads.
    const reads: number[] = [];
    for (let i = 0; i < KCAT_READS; i++) {
      reads.push(
        await timed(() =>
          run('kcat', ['-C', '-b', bootstrap, '-t', kcatTopic, '-o', 'beginning', '-c', String(RECORDS), '-q', '-f', '\\n']),
        ),
      );
    }
    const consumeMs = median(reads);
    result.kcatProducePerSec = (RECORDS / produceMs) * 1000;
    result.kcatConsumePerSec = (RECORDS / consumeMs) * 1000;
  }
  process.stderr.write(`rep ${rep + 1} ${target}: ${JSON.stringify(result)}\n`);
  return result;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  const loadBefore = load();
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-listener-'));
  const targets: { name: string; bootstrap: string; broker?: EmbeddedBroker }[] = [];
  for (const durability of args.durability.split(',') as ('fsync' | 'os')[]) {
    const broker = createEmbeddedBroker({
      kind: 'embedded',
      dataDir: join(dir, durability),
      durability,
      kafkaListener: { listen: '127.0.0.1:0' },
    });
    await broker.start();
    const { host, port } = broker.kafkaListenerAddress()!;
    targets.push({ name: `embedded-${durability}`, bootstrap: `${host}:${port}`, broker });
  }
  targets.push({ name: 'kafka', bootstrap: args.kafka });
  let lines: string | null = null;
  if (!args['no-kcat']) {
    lines = join(dir, 'lines.txt');
    writeFileSync(lines, `${'x'.repeat(VALUE_BYTES)}\n`.repeat(RECORDS));
  }
  const results = new Map<string, Measurement[]>(targets.map((t) => [t.name, []]));
  try {
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) results.get(target.name)!.push(await measure(target.name, target.bootstrap, lines, rep));
    }
  } finally {
    for (const target of targets) await target.broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const summary: Record<string, Record<string, number>> = {};
  for (const [name, list] of results) {
    const keys = Object.keys(list[0]) as (keyof Measurement)[];
    summary[name] = Object.fromEntries(keys.map((k) => [k, Math.round(median(list.map((m) => m[k] ?? NaN)))]));
  }
  const fmt = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : n.toLocaleString('en-US'));
  const rows: [string, keyof Measurement][] = [
    ['ProducerPerformance, records/s', 'producePerSec'],
    ['  latency p50 / p99 (ms)', 'produceP50'],
    [`ProducerPerformance at ${RATE}/s, p50 / p99 (ms)`, 'ratedP50'],
    ['ConsumerPerformance, records/s', 'consumePerSec'],
    ['kcat produce, records/s', 'kcatProducePerSec'],
    ['kcat consume, records/s', 'kcatConsumePerSec'],
  ];
  const names = [...results.keys()];
  console.log(`| ${RECORDS.toLocaleString('en-US')} records × ${REPS} | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---').join('|')}|`);
  for (const [label, key] of rows) {
    const cells = names.map((n) => {
      const s = summary[n];
      if (key === 'produceP50') return `${fmt(s.produceP50)} / ${fmt(s.produceP99)}`;
      if (key === 'ratedP50') return `${fmt(s.ratedP50)} / ${fmt(s.ratedP99)}`;
      return fmt(s[key]);
    });
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
  console.log(`load average before: ${loadBefore}; after: ${load()}`);
  console.log(JSON.stringify({ records: RECORDS, reps: REPS, rate: RATE, summary, loadBefore, loadAfter: load() }));
}

await main();
