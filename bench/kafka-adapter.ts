/**
 * Kafka adapter throughput against the same single broker, side by side with what it is built on and with Kafka's
 * own Java tools. Prints a table and a JSON line.
 *
 *   node bench/kafka-adapter.ts [--records 500000] [--reps 3] [--bootstrap 127.0.0.1:9092] [--partitions 1] [--no-java]
 *
 * Every producer writes 200-byte values with acks=all and idempotence (the Java client's default with acks=all)
 * to a fresh topic; every consumer then reads that topic from the start in a fresh group.
 * - java: org.apache.kafka.tools.ProducerPerformance / ConsumerPerformance from the cached Kafka jars (their own
 *   batching: batch.size 16 KiB, linger 5 ms, 5 requests in flight). Consumer rate = fetch.nMsg.sec (join excluded).
 * - raw: @platformatic/kafka Producer.send with --batch records per call, --inflight calls outstanding; Consumer
 *   MessagesStream (mode earliest, no autocommit, the adapter's fetch sizing: 1 MiB per partition, 250 ms wait),
 *   counted per 'data' event.
 * - herald: the adapter's Producer.send with the same calls; GroupConsumer with a no-op onRecords.
 * Consumer rates start at the first record (group join excluded). Rates are medians over --reps (raw and herald
 * alternate); Java runs once. MB/s counts value bytes (MiB).
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Admin, Consumer, MessagesStreamModes, ProduceAcks, Producer } from '@platformatic/kafka';
import { kafkaClasspath } from '../scripts/kafka/index.ts';
import type { OutgoingRecord } from '../src/broker/port.ts';
import { createKafkaBroker } from '../src/broker/kafka/index.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '500000' },
    reps: { type: 'string', default: '3' },
    bootstrap: { type: 'string', default: '127.0.0.1:9092' },
    partitions: { type: 'string', default: '1' },
    batch: { type: 'string', default: '1000' },
    inflight: { type: 'string', default: '4' },
    /** Skips Kafka's Java tools (e.g. where there is no JVM). */
    'no-java': { type: 'boolean', default: false },
  },
});
const RECORDS = Number(args.records);
const REPS = Number(args.reps);
const BOOTSTRAP = args.bootstrap.split(',');
const PARTITIONS = Number(args.partitions);
const BATCH = Number(args.batch);
const INFLIGHT = Number(args.inflight);
const VALUE_BYTES = 200;
const VALUE = Buffer.alloc(VALUE_BYTES, 'x');
const RUN = `${process.pid}-${Date.now().toString(36)}`;

interface Rate {
  recordsPerSec: number;
  mbPerSec: number;
}

const rate = (records: number, ms: number): Rate => ({
  recordsPerSec: (records / ms) * 1000,
  mbPerSec: (records * VALUE_BYTES) / 1_048_576 / (ms / 1000),
});

function median(rates: Rate[]): Rate {
  const sorted = [...rates].sort((a, b) => a.recordsPerSec - b.recordsPerSec);
  return sorted[Math.floor(sorted.length / 2)];
}

const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: BOOTSTRAP });
const created: string[] = [];

async function freshTopic(prefix: string): Promise<string> {
  const topic = `bench-${prefix}-${RUN}-${created.length}`;
  await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: -1 });
  created.push(topic);
  await new Promise((resolve) => setTimeout(resolve, 500));
  return topic;
}

/** Keeps `INFLIGHT` calls of `BATCH` records outstanding until RECORDS were sent; returns elapsed ms. */
async function pump(send: (count: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < RECORDS) {
      const count = Math.min(BATCH, RECORDS - next);
      next += count;
      await send(count);
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  return performance.now() - started;
}

async function rawProduce(topic: string): Promise<Rate> {
  const producer = new Producer({
    clientId: 'bench-raw',
    bootstrapBrokers: BOOTSTRAP,
    idempotent: true,
    acks: ProduceAcks.ALL,
  });
  let partition = 0;
  const ms = await pump((count) =>
    producer.send({
      messages: Array.from({ length: count }, () => ({ topic, value: VALUE, partition: partition++ % PARTITIONS })),
    }),
  );
  await producer.close();
  return rate(RECORDS, ms);
}

async function heraldProduce(topic: string): Promise<Rate> {
  const broker = createKafkaBroker({ kind: 'kafka', bootstrap: BOOTSTRAP });
  await broker.start();
  const producer = broker.producer();
  let partition = 0;
  const ms = await pump((count) =>
    producer.send(
      Array.from(
        { length: count },
        (): OutgoingRecord => ({ topic, value: VALUE, partition: partition++ % PARTITIONS }),
      ),
    ),
  );
  await broker.stop();
  return rate(RECORDS, ms);
}

async function rawConsume(topic: string): Promise<Rate> {
  const consumer = new Consumer({
    clientId: 'bench-raw',
    groupId: `bench-raw-${RUN}-${topic}`,
    bootstrapBrokers: BOOTSTRAP,
    autocommit: false,
    // The adapter's fetch sizing. The library's default (50 MB per partition, 5 s wait) measured slower here.
    maxBytesPerPartition: 1_048_576,
    maxWaitTime: 250,
  });
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
  let count = 0;
  let first = 0;
  const ms = await new Promise<number>((resolve) => {
    stream.on('data', () => {
      if (count++ === 0) first = performance.now();
      if (count === RECORDS) resolve(performance.now() - first);
    });
  });
  await stream.close();
  await consumer.close(true);
  return rate(RECORDS - 1, ms);
}

async function heraldConsume(topic: string): Promise<Rate> {
  const broker = createKafkaBroker({ kind: 'kafka', bootstrap: BOOTSTRAP });
  await broker.start();
  const consumer = broker.consumer({ group: `bench-herald-${RUN}-${topic}`, topics: [topic] });
  let count = 0;
  let first = 0;
  let done: (ms: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    done = resolve;
  });
  await consumer.start({
    onRecords(records) {
      if (count === 0) first = performance.now();
      count += records.length;
      if (count >= RECORDS) done(performance.now() - first);
    },
  });
  const ms = await finished;
  await broker.stop();
  return rate(RECORDS - 1, ms);
}

function java(mainClass: string, toolArgs: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-Xmx512m', '-cp', kafkaClasspath(), mainClass, ...toolArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${mainClass} exited ${code}: ${err}`))));
  });
}

async function javaProduce(topic: string): Promise<Rate> {
  const out = await java('org.apache.kafka.tools.ProducerPerformance', [
    '--topic',
    topic,
    '--num-records',
    String(RECORDS),
    '--record-size',
    String(VALUE_BYTES),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${BOOTSTRAP.join(',')}`,
    'acks=all',
    'enable.idempotence=true',
  ]);
  // Final line: "500000 records sent, 123456.7 records/sec (23.55 MB/sec), ..."
  const final = out
    .trim()
    .split('\n')
    .filter((line) => line.startsWith(`${RECORDS} records sent`))
    .pop();
  const perSec = Number(/([\d.]+) records\/sec/.exec(final ?? '')?.[1]);
  if (!Number.isFinite(perSec)) throw new Error(`unexpected ProducerPerformance output:\n${out}`);
  return rate(perSec, 1000);
}

async function javaConsume(topic: string): Promise<Rate> {
  const out = await java('org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server',
    BOOTSTRAP.join(','),
    '--topic',
    topic,
    '--messages',
    String(RECORDS),
    '--timeout',
    '120000',
  ]);
  const lines = out.trim().split('\n');
  const header = lines.findIndex((line) => line.includes('fetch.nMsg.sec'));
  if (header < 0) throw new Error(`unexpected ConsumerPerformance output:\n${out}`);
  const columns = lines[header].split(',').map((c) => c.trim());
  const values = lines[header + 1].split(',').map((c) => c.trim());
  return rate(Number(values[columns.indexOf('fetch.nMsg.sec')]), 1000);
}

function row(name: string, r: Rate): string {
  return `${name.padEnd(24)} ${Math.round(r.recordsPerSec).toLocaleString('en-US').padStart(12)} rec/s ${r.mbPerSec.toFixed(1).padStart(8)} MB/s`;
}

/** One measurement, on stderr, as it happens. */
function progress(what: string, r: Rate): void {
  process.stderr.write(`${row(what, r)}\n`);
}

async function main(): Promise<void> {
  const results: Record<string, Rate> = {};
  if (!args['no-java']) {
    const topic = await freshTopic('java');
    results.javaProducer = await javaProduce(topic);
    results.javaConsumer = await javaConsume(topic);
  }
  const raw = { producer: [] as Rate[], consumer: [] as Rate[] };
  const herald = { producer: [] as Rate[], consumer: [] as Rate[] };
  for (let rep = 0; rep < REPS; rep++) {
    const rawTopic = await freshTopic('raw');
    const heraldTopic = await freshTopic('herald');
    // Alternate who goes first, so neither always meets a warmer broker.
    const order = rep % 2 === 0 ? ['raw', 'herald'] : ['herald', 'raw'];
    for (const who of order) {
      if (who === 'raw') raw.producer.push(await rawProduce(rawTopic));
      else herald.producer.push(await heraldProduce(heraldTopic));
      progress(`rep ${rep + 1} ${who} producer`, (who === 'raw' ? raw : herald).producer.at(-1)!);
    }
    for (const who of order) {
      if (who === 'raw') raw.consumer.push(await rawConsume(rawTopic));
      else herald.consumer.push(await heraldConsume(heraldTopic));
      progress(`rep ${rep + 1} ${who} consumer`, (who === 'raw' ? raw : herald).consumer.at(-1)!);
    }
  }
  results.rawProducer = median(raw.producer);
  results.heraldProducer = median(herald.producer);
  results.rawConsumer = median(raw.consumer);
  results.heraldConsumer = median(herald.consumer);

  const lines = [
    `${RECORDS.toLocaleString('en-US')} records of ${VALUE_BYTES} B, acks=all, idempotent, ${PARTITIONS} partition(s), ` +
      `calls of ${BATCH} x ${INFLIGHT} in flight, median of ${REPS}`,
  ];
  if (results.javaProducer) lines.push(row('java producer', results.javaProducer));
  lines.push(row('raw producer', results.rawProducer), row('herald producer', results.heraldProducer));
  if (results.javaConsumer) lines.push(row('java consumer', results.javaConsumer));
  lines.push(row('raw consumer', results.rawConsumer), row('herald consumer', results.heraldConsumer));
  const ratio = (a: Rate, b: Rate) => (a.recordsPerSec / b.recordsPerSec).toFixed(2);
  const ratios: Record<string, string> = {
    heraldOverRawProducer: ratio(results.heraldProducer, results.rawProducer),
    heraldOverRawConsumer: ratio(results.heraldConsumer, results.rawConsumer),
  };
  if (results.javaProducer) ratios.rawOverJavaProducer = ratio(results.rawProducer, results.javaProducer);
  if (results.javaConsumer) ratios.rawOverJavaConsumer = ratio(results.rawConsumer, results.javaConsumer);
  lines.push(
    ...Object.entries(ratios).map(([name, value]) => `${name.padEnd(24)} ${value}`),
    JSON.stringify({ records: RECORDS, partitions: PARTITIONS, results, ratios }),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  await main();
} finally {
  if (created.length > 0) await admin.deleteTopics({ topics: created }).catch(() => {});
  await admin.close();
}
