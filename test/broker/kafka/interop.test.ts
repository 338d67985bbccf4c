/**
 * Interop with Kafka clients no one here wrote, on the single local broker (`npm run kafka:up`): Kafka's console
 * producer and consumer (the Java client) and kcat (librdkafka). Keys must land on the same partitions whoever
 * writes them, and each side must read the other's keys, values and headers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it, type TestContext } from 'node:test';
import type { Broker, BrokerRecord, Headers } from '../../../src/broker/port.ts';
import { createKafkaBroker } from '../../../src/broker/kafka/index.ts';
import { partitionForKey } from '../../../src/broker/partitioner.ts';
import { kafkaSingle } from '../../support/kafka.ts';
import { javaToolsMissing, kafkaTool, kcat, kcatMissing, kcatReadAll } from './tools.ts';

const PARTITIONS = 12;
/** Kafka's own murmur2 test vectors (some hash negative), then ordinary keys. */
const KEYS = [
  '21',
  'foobar',
  'a-little-bit-long-string',
  'a-little-bit-longer-string',
  'lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8',
  'abc',
  ...Array.from({ length: 40 }, (_, i) => `key-${i}`),
];

let bootstrap: string[] | undefined;
let broker: Broker | undefined;
const topics: string[] = [];

function name(what: string): string {
  return `herald-interop-${what}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** The started broker (one for the file), or undefined after skipping `t` (no Kafka, or the tool is missing). */
async function setup(t: TestContext, missing?: string): Promise<Broker | undefined> {
  bootstrap = await kafkaSingle(t);
  if (bootstrap === undefined) return undefined;
  if (missing !== undefined) {
    t.skip(missing);
    return undefined;
  }
  if (broker === undefined) {
    broker = createKafkaBroker({ kind: 'kafka', bootstrap });
    await broker.start();
  }
  return broker;
}

async function topic(on: Broker, what: string, partitions = PARTITIONS): Promise<string> {
  const created = name(what);
  await on.admin.createTopic({ name: created, partitions });
  topics.push(created);
  return created;
}

/** Every record of every partition of `topic`, read with `admin.read`. */
async function readAll(on: Broker, topicName: string): Promise<BrokerRecord[]> {
  const info = await on.admin.describeTopic(topicName);
  const out: BrokerRecord[] = [];
  for (const { partition, latest } of info.partitions) {
    if (latest > 0) out.push(...(await on.admin.read({ topic: topicName, partition, offset: 0 }, latest)));
  }
  return out;
}

/** key -> partition of what is stored in `topic`. */
async function partitionsByKey(on: Broker, topicName: string): Promise<Map<string, number>> {
  const records = await readAll(on, topicName);
  return new Map(records.map((r) => [r.key?.toString() ?? '', r.partition]));
}

describe('kafka interop: console tools and kcat', () => {
  after(async () => {
    if (broker === undefined) return;
    await Promise.allSettled(topics.map((t) => broker?.admin.deleteTopic(t)));
    await broker.stop();
  });

  it("Herald, Kafka's console producer and kcat (murmur2_random) put each key on the same partition", async (t) => {
    const on = await setup(t, javaToolsMissing() ?? kcatMissing());
    if (on === undefined || bootstrap === undefined) return;
    const herald = await topic(on, 'keys-herald');
    const sent = await on
      .producer()
      .send(KEYS.map((key) => ({ topic: herald, key: Buffer.from(key), value: Buffer.from(`v-${key}`) })));

    const console = await topic(on, 'keys-console');
    await kafkaTool(
      'org.apache.kafka.tools.ConsoleProducer',
      [
        ...['--bootstrap-server', bootstrap.join(','), '--topic', console],
        ...['--reader-property', 'parse.key=true', '--reader-property', 'key.separator=|'],
      ],
      KEYS.map((key) => `${key}|v-${key}\n`).join(''),
    );
    const librdkafka = await topic(on, 'keys-kcat');
    await kcat(
      ['-P', '-b', bootstrap.join(','), '-t', librdkafka, '-K', '|', '-X', 'partitioner=murmur2_random'],
      KEYS.map((key) => `${key}|v-${key}\n`).join(''),
    );

    const expected = KEYS.map((key) => partitionForKey(Buffer.from(key), PARTITIONS));
    assert.deepEqual(
      sent.map((p) => p.partition),
      expected,
      'Herald',
    );
    const byConsole = await partitionsByKey(on, console);
    const byKcat = await partitionsByKey(on, librdkafka);
    assert.deepEqual(
      KEYS.map((key) => byConsole.get(key)),
      expected,
      "Kafka's console producer (Java client)",
    );
    assert.deepEqual(
      KEYS.map((key) => byKcat.get(key)),
      expected,
      'kcat',
    );
    assert.ok(new Set(expected).size > 6, 'the keys should spread over most partitions');
  });

  /**
   * What Herald writes for the readers below: keys, values, headers (one record without any). Returns, per
   * `partition|offset`, the key, the value and the headers as `name<separator>value`.
   */
  async function heraldWrites(on: Broker, separator: string): Promise<{ topic: string; lines: Map<string, string[]> }> {
    const written = await topic(on, 'read-by-others', 3);
    const headers = (i: number): Headers => (i === 7 ? {} : { source: 'herald', seq: String(i) });
    const positions = await on.producer().send(
      Array.from({ length: 20 }, (_, i) => ({
        topic: written,
        key: Buffer.from(`key-${i}`),
        value: Buffer.from(`value-${i}`),
        headers: headers(i),
      })),
    );
    const lines = new Map<string, string[]>();
    positions.forEach((p, i) => {
      const pairs = Object.entries(headers(i)).map(([k, v]) => `${k}${separator}${v}`);
      lines.set(`${p.partition}|${p.offset}`, [`key-${i}`, `value-${i}`, ...pairs]);
    });
    return { topic: written, lines };
  }

  it("Kafka's console consumer reads the key, value, headers and partition Herald wrote", async (t) => {
    const on = await setup(t, javaToolsMissing());
    if (on === undefined || bootstrap === undefined) return;
    const { topic: written, lines } = await heraldWrites(on, ':');
    const out = await kafkaTool('org.apache.kafka.tools.consumer.ConsoleConsumer', [
      ...['--bootstrap-server', bootstrap.join(','), '--topic', written, '--from-beginning'],
      ...['--max-messages', String(lines.size), '--timeout-ms', '30000'],
      ...['--formatter-property', 'print.partition=true', '--formatter-property', 'print.offset=true'],
      ...['--formatter-property', 'print.headers=true', '--formatter-property', 'print.key=true'],
      ...['--formatter-property', 'key.separator=|'],
    ]);
    // Partition:1|Offset:3|source:herald,seq:5|key-5|value-5   (NO_HEADERS when there are none)
    const seen = new Map<string, string[]>();
    for (const line of out.trim().split('\n')) {
      const [partition, offset, headers, key, value] = line.split('|');
      const headerList = headers === 'NO_HEADERS' ? [] : headers.split(',');
      seen.set(`${partition.replace('Partition:', '')}|${offset.replace('Offset:', '')}`, [key, value, ...headerList]);
    }
    assert.deepEqual(seen, lines);
  });

  it('kcat reads the key, value, headers and partition Herald wrote', async (t) => {
    const on = await setup(t, kcatMissing());
    if (on === undefined || bootstrap === undefined) return;
    const { topic: written, lines } = await heraldWrites(on, '=');
    const out = await kcatReadAll(bootstrap, written, '%p|%o|%k|%s|%h\n');
    const seen = new Map<string, string[]>();
    for (const line of out.trim().split('\n')) {
      const [partition, offset, key, value, headers] = line.split('|');
      seen.set(`${partition}|${offset}`, [key, value, ...(headers === '' ? [] : headers.split(','))]);
    }
    assert.deepEqual(seen, lines);
  });

  it('every producer compression is read back by Herald and by kcat', async (t) => {
    const on = await setup(t, kcatMissing());
    if (on === undefined || bootstrap === undefined) return;
    for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const compressed = createKafkaBroker({ kind: 'kafka', bootstrap, producer: { compression } });
      await compressed.start();
      const written = await topic(on, `compressed-${compression}`, 1);
      const values = Array.from({ length: 50 }, (_, i) => `${compression} ${i} ${'x'.repeat(i * 10)}`);
      try {
        await compressed.producer().send(values.map((v) => ({ topic: written, value: Buffer.from(v) })));
      } finally {
        await compressed.stop();
      }
      const stored: BrokerRecord[] = await on.admin.read({ topic: written, partition: 0, offset: 0 }, 100);
      assert.deepEqual(
        stored.map((r) => r.value?.toString()),
        values,
        `Herald reading ${compression}`,
      );
      const out = await kcatReadAll(bootstrap, written, '%s\n');
      assert.deepEqual(out.trim().split('\n'), values, `kcat reading ${compression}`);
    }
  });

  it("Herald's group consumer reads keys, values and headers written by the console producer and kcat", async (t) => {
    const on = await setup(t, javaToolsMissing() ?? kcatMissing());
    if (on === undefined || bootstrap === undefined) return;
    const written = await topic(on, 'written-by-others', 6);
    const count = 30;
    await kafkaTool(
      'org.apache.kafka.tools.ConsoleProducer',
      [
        ...['--bootstrap-server', bootstrap.join(','), '--topic', written],
        ...['--reader-property', 'parse.key=true', '--reader-property', 'key.separator=|'],
        ...['--reader-property', 'parse.headers=true', '--reader-property', 'headers.delimiter=#'],
        ...['--reader-property', 'headers.separator=,', '--reader-property', 'headers.key.separator=:'],
      ],
      Array.from({ length: count }, (_, i) => `source:console,n:${i}#console-${i}|from console ${i}\n`).join(''),
    );
    await kcat(
      [
        '-P',
        '-b',
        bootstrap.join(','),
        '-t',
        written,
        '-K',
        '|',
        '-X',
        'partitioner=murmur2_random',
        '-H',
        'source=kcat',
      ],
      Array.from({ length: count }, (_, i) => `kcat-${i}|from kcat ${i}\n`).join(''),
    );

    const received: BrokerRecord[] = [];
    const consumer = on.consumer({ group: name('group'), topics: [written] });
    await consumer.start({
      onRecords(records) {
        received.push(...records);
      },
    });
    const deadline = Date.now() + 30_000;
    while (received.length < 2 * count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await consumer.close();
    assert.equal(received.length, 2 * count);
    for (const r of received) {
      const key = r.key?.toString() ?? '';
      assert.equal(r.partition, partitionForKey(Buffer.from(key), 6), `${key} is not on its murmur2 partition`);
      const [origin, n] = key.split('-');
      assert.equal(r.value?.toString(), `from ${origin} ${n}`);
      assert.deepEqual(r.headers, origin === 'console' ? { source: 'console', n } : { source: 'kcat' });
    }
  });
});
