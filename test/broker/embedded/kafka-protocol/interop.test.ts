/**
 * Clients no one here wrote, against the embedded broker's Kafka listener: kcat (librdkafka), Kafka's own console
 * producer and consumer (the Java client, from the cached jars) and franz-go (Go, built from the module proxy).
 * Each produces with keys and consumes in a group; every client must put each key on the partition Herald's
 * murmur2 partitioner names. A tool that is missing skips its test, except with HERALD_REQUIRE_KAFKA=1 (CI).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import pino from 'pino';
import type { Broker, BrokerRecord } from '../../../../src/broker/port.ts';
import type { EmbeddedBroker } from '../../../../src/broker/embedded/index.ts';
import { createKafkaBroker } from '../../../../src/broker/kafka/index.ts';
import { partitionForKey } from '../../../../src/broker/partitioner.ts';
import { Router } from '../../../../src/runtime/router.ts';
import { cli } from '../../../support/cli.ts';
import { bootHerald } from '../../../support/boot.ts';
import { javaToolsMissing, kafkaTool, kcat, kcatMissing, run } from '../../kafka/tools.ts';
import { uniqueName } from '../helpers.ts';
import { goClient, goMissing } from './go-client.ts';
import { listening, type ListeningBroker } from './helpers.ts';

const PARTITIONS = 6;
/** Kafka's own murmur2 test vectors (some hash negative), then ordinary keys. */
const KEYS = ['21', 'foobar', 'a-little-bit-long-string', 'a-little-bit-longer-string', 'abc', ...Array.from({ length: 20 }, (_, i) => `key-${i}`)];

/** Skips `t` when a tool is missing, or fails it when CI requires every client. */
function available(t: TestContext, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  if (process.env.HERALD_REQUIRE_KAFKA === '1') throw new Error(`${missing} (HERALD_REQUIRE_KAFKA=1 requires every client)`);
  t.skip(missing);
  return false;
}

let server: ListeningBroker;

async function topic(what: string, partitions = PARTITIONS): Promise<string> {
  const name = uniqueName(`interop-${what}`);
  await server.broker.admin.createTopic({ name, partitions });
  return name;
}

async function readAll(name: string): Promise<BrokerRecord[]> {
  const out: BrokerRecord[] = [];
  for (const { partition, latest } of (await server.broker.admin.describeTopic(name)).partitions) {
    if (latest > 0) out.push(...(await server.broker.admin.read({ topic: name, partition, offset: 0 }, latest)));
  }
  return out;
}

/** Asserts each key is stored on the partition murmur2 names for it. */
async function assertMurmur2(name: string, who: string): Promise<void> {
  const records = await readAll(name);
  assert.equal(records.length, KEYS.length, `${who}: records stored`);
  for (const r of records) {
    assert.equal(r.partition, partitionForKey(r.key!, PARTITIONS), `${who}: key ${r.key} on partition ${r.partition}`);
  }
}

describe('kafka listener interop: kcat, Java console tools, franz-go', () => {
  // One broker for the file, on a free port: the file's tests are its clients.
  const cleanups: (() => unknown)[] = [];
  before(async () => {
    const scope = { after: (fn: () => unknown) => cleanups.push(fn) } as unknown as TestContext;
    server = await listening(scope, { durability: 'fsync' });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('kcat: -L, keyed produce (murmur2_random, snappy and lz4), consume, and a group that commits', async (t) => {
    if (!available(t, kcatMissing())) return;
    const b = server.bootstrap;
    const name = await topic('kcat');
    const listing = await kcat(['-b', b, '-L', '-t', name]);
    assert.match(listing, new RegExp(`broker 1 at 127\\.0\\.0\\.1:${server.port}`));
    assert.match(listing, new RegExp(`topic "${name}" with ${PARTITIONS} partitions`));
    const half = KEYS.length >> 1;
    for (const [codec, keys] of [['snappy', KEYS.slice(0, half)], ['lz4', KEYS.slice(half)]] as const) {
      await kcat(['-P', '-b', b, '-t', name, '-K', '|', '-z', codec, '-X', 'partitioner=murmur2_random', '-H', 'via=kcat'], keys.map((k) => `${k}|v-${k}\n`).join(''));
    }
    await assertMurmur2(name, 'kcat');
    const stored = await readAll(name);
    assert.ok(stored.every((r) => r.headers.via === 'kcat' && r.value?.toString() === `v-${r.key}`));
    const consumed = await kcat(['-C', '-b', b, '-t', name, '-o', 'beginning', '-e', '-q', '-f', '%k|%s|%p\n']);
    assert.equal(consumed.trim().split('\n').length, KEYS.length);

    const group = uniqueName('kcat-group');
    const inGroup = await kcat(['-b', b, '-G', group, name, '-o', 'beginning', '-e', '-q', '-f', '%k\n', '-X', 'enable.auto.commit=true', '-X', 'auto.commit.interval.ms=100']);
    assert.deepEqual(inGroup.trim().split('\n').sort(), [...KEYS].sort());
    const described = await server.broker.admin.describeGroup(group);
    assert.equal(described.offsets.reduce((sum, o) => sum + (o.committed ?? 0), 0), KEYS.length, 'the group committed everything');
  });

  it("Kafka's console producer (idempotent, lz4) and console consumer in a group", async (t) => {
    if (!available(t, javaToolsMissing())) return;
    const b = server.bootstrap;
    const name = await topic('java');
    await kafkaTool(
      'org.apache.kafka.tools.ConsoleProducer',
      [
        ...['--bootstrap-server', b, '--topic', name],
        ...['--reader-property', 'parse.key=true', '--reader-property', 'key.separator=|'],
        ...['--command-property', 'compression.type=lz4', '--command-property', 'enable.idempotence=true'],
      ],
      KEYS.map((key) => `${key}|v-${key}\n`).join(''),
    );
    await assertMurmur2(name, 'console producer');
    const group = uniqueName('java-group');
    const out = await kafkaTool('org.apache.kafka.tools.consumer.ConsoleConsumer', [
      ...['--bootstrap-server', b, '--topic', name, '--group', group, '--from-beginning'],
      ...['--max-messages', String(KEYS.length), '--formatter-property', 'print.key=true'],
    ]);
    const lines = out.trim().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(lines.map(([k]) => k).sort(), [...KEYS].sort());
    assert.ok(lines.every(([k, v]) => v === `v-${k}`));
    const described = await server.broker.admin.describeGroup(group);
    assert.equal(described.offsets.reduce((sum, o) => sum + (o.committed ?? 0), 0), KEYS.length);
  });

  it("Kafka's transactional message copier (the Java client's transactions, random aborts) copies each record once", async (t) => {
    if (!available(t, javaToolsMissing())) return;
    const input = await topic('txn-in', 1);
    const output = await topic('txn-out', 1);
    const count = 300;
    const producer = server.broker.producer();
    await producer.send(Array.from({ length: count }, (_, i) => ({ topic: input, key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })));
    await producer.close();
    const group = uniqueName('java-txn-group');
    // Consumes read_committed in a group, produces and commits the consumed offsets in transactions of 25 records
    // (sendOffsetsToTransaction with the group's metadata), aborting some of them at random and copying those again.
    const out = await kafkaTool('org.apache.kafka.tools.TransactionalMessageCopier', [
      ...['--broker-list', server.bootstrap, '--input-topic', input, '--input-partition', '0', '--output-topic', output],
      ...['--max-messages', String(count), '--consumer-group', group, '--transactional-id', uniqueName('java-txn')],
      ...['--transaction-size', '25', '--enable-random-aborts', '--group-mode', '--use-group-metadata'],
    ]);
    assert.match(out, /"remaining":0/);
    const copied = await readAll(output);
    assert.deepEqual(copied.map((r) => r.value?.toString()).sort(), Array.from({ length: count }, (_, i) => `v${i}`).sort());
    const described = await server.broker.admin.describeGroup(group);
    assert.equal(described.offsets.find((o) => o.topic === input)?.committed, count);
    const [committed] = await server.broker.admin.endOffsets(output, { isolation: 'read_committed' });
    const [end] = await server.broker.admin.endOffsets(output, { isolation: 'read_uncommitted' });
    assert.equal(committed.latest, end.latest, 'no transaction left open');
  });

  it('franz-go (Go) produces with keys and consumes in a group', { timeout: 20 * 60_000 }, async (t) => {
    if (!available(t, goMissing())) return;
    const binary = await goClient();
    const name = await topic('go');
    const produced = await run(binary, ['produce', server.bootstrap, name, ...KEYS]);
    assert.equal(produced.code, 0, produced.stderr);
    await assertMurmur2(name, 'franz-go');
    const group = uniqueName('go-group');
    const consumed = await run(binary, ['consume', server.bootstrap, name, group, String(KEYS.length)]);
    assert.equal(consumed.code, 0, consumed.stderr);
    const rows = consumed.stdout.trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(rows.map((r) => r[2]).sort(), [...KEYS].sort());
    assert.ok(rows.every(([partition, , key]) => Number(partition) === partitionForKey(Buffer.from(key), PARTITIONS)));
    const stored = await readAll(name);
    assert.ok(stored.every((r) => r.headers.from === 'franz-go'));
    const described = await server.broker.admin.describeGroup(group);
    assert.equal(described.offsets.reduce((sum, o) => sum + (o.committed ?? 0), 0), KEYS.length);
  });

  it("Herald's own Kafka adapter through the listener agrees on partitions too", async () => {
    const name = await topic('herald');
    const client: Broker = createKafkaBroker({ kind: 'kafka', bootstrap: [server.bootstrap] });
    await client.start();
    try {
      const producer = client.producer();
      await producer.send(KEYS.map((key) => ({ topic: name, key: Buffer.from(key), value: Buffer.from(`v-${key}`) })));
      await producer.close();
    } finally {
      await client.stop();
    }
    await assertMurmur2(name, 'Kafka adapter');
  });

  it('a record produced by kcat is handled by a Herald Router handler on the same broker', async (t) => {
    if (!available(t, kcatMissing())) return;
    const name = await topic('router', 1);
    const handled: string[] = [];
    const router = new Router({ broker: server.broker, logger: pino({ level: 'silent' }), name: 'interop' });
    router.handle(name, uniqueName('router-group'), async (message) => {
      handled.push(`${message.key?.toString()}=${message.value?.toString()}`);
    });
    await router.start();
    t.after(() => router.stop());
    await kcat(['-P', '-b', server.bootstrap, '-t', name, '-K', '|'], 'order-1|{"total":42}\n');
    const deadline = Date.now() + 30_000;
    while (handled.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(handled, ['order-1={"total":42}']);
  });

  it('herald groups describe shows a kcat consumer as a member of its group', async (t) => {
    if (!available(t, kcatMissing())) return;
    const running = await bootHerald(t, { 'broker.kafkaListener.listen': '127.0.0.1:0' });
    const address = (running.broker as EmbeddedBroker).kafkaListenerAddress()!;
    const bootstrap = `${address.host}:${address.port}`;
    const name = uniqueName('cli');
    await running.broker.admin.createTopic({ name, partitions: 2 });
    const group = uniqueName('cli-group');
    // A consumer that stays in the group until killed.
    const consumer = await import('node:child_process').then(({ spawn }) =>
      spawn('kcat', ['-b', bootstrap, '-G', group, name, '-q', '-X', 'client.id=kcat-in-group'], { stdio: 'ignore' }),
    );
    t.after(() => consumer.kill('SIGKILL'));
    let members: { clientId: string; assignment: unknown[] }[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const described = await cli(['groups', 'describe', group, '--server', running.url]);
      members = described.code === 0 ? (described.lines[0]?.members ?? JSON.parse(described.stdout).members ?? []) : [];
      if (members.length === 1 && members[0].assignment.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(members.length, 1);
    assert.equal(members[0].clientId, 'kcat-in-group');
    assert.equal(members[0].assignment.length, 2);
  });
});
