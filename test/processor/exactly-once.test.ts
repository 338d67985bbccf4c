import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { Broker, OutgoingRecord, PartitionInfo } from '../../src/broker/port.ts';
import { type BrokerSpec, createBroker } from '../../src/broker/index.ts';
import { createEmbeddedBroker } from '../../src/broker/embedded/index.ts';
import type { Guarantee } from '../../src/processor/options.ts';
import { groupTable } from '../../src/processor/topology.ts';
import { kafkaSingle } from '../support/kafka.ts';
import { childReached, spawnJsonLinesChild } from '../support/json-lines-child.ts';
import { logger, uniqueName, waitFor } from './harness.ts';

/**
 * THE exactly-once test: a child process summing deposits is SIGKILLed again and again at random moments; after it
 * finally runs to the end, every wallet's total is exact (not at least, exact) and a read_committed reader of the
 * emitted topic sees each deposit exactly once.
 *
 * Default size: 10,000 deposits over 100 wallets, 4 kills. HERALD_TEST_EXACTLY_ONCE=full: 100,000 deposits over
 * 1,000 wallets, 8 kills.
 */
const FULL = process.env.HERALD_TEST_EXACTLY_ONCE === 'full';
const DEPOSITS = FULL ? 100_000 : 10_000;
const WALLETS = FULL ? 1_000 : 100;
const KILLS = FULL ? 8 : 4;
const PARTITIONS = 4;
const GUARANTEE: Guarantee = (process.env.HERALD_TEST_EXACTLY_ONCE_GUARANTEE as Guarantee) || 'exactly-once';

interface ChildEvent {
  event: 'started' | 'processed' | 'done' | 'error';
  committed?: number;
  message?: string;
}

const amountOf = (id: number) => (id % 7) + 1;
const walletOf = (id: number) => `wallet-${id % WALLETS}`;

/**
 * Every committed record of `topic`. Waits first until no transaction is open on it (read_committed end = high
 * watermark): the group's offsets become visible when the commit marker reaches the offsets topic, which may be
 * before the markers reach the data partitions, so the child can report done while its last transaction is still
 * being completed there.
 */
async function readAll(broker: Broker, topic: string): Promise<{ key: string; value: string }[]> {
  let ends: PartitionInfo[] = [];
  await waitFor(`no open transaction on ${topic}`, async () => {
    ends = await broker.admin.endOffsets(topic, { isolation: 'read_committed' });
    const high = await broker.admin.endOffsets(topic, { isolation: 'read_uncommitted' });
    return ends.every((p, i) => p.latest === high[i].latest);
  });
  const out: { key: string; value: string }[] = [];
  for (const p of ends) {
    for (let offset = p.earliest; offset < p.latest; ) {
      const records = await broker.admin.read({ topic, partition: p.partition, offset }, 5_000);
      // Nothing below the end: only transaction markers are left there.
      if (records.length === 0) break;
      for (const r of records) out.push({ key: String(r.key), value: String(r.value) });
      offset = records[records.length - 1].offset + 1;
    }
  }
  return out;
}

async function produceDeposits(broker: Broker, input: string): Promise<void> {
  const producer = broker.producer();
  for (let from = 0; from < DEPOSITS; from += 5_000) {
    const batch: OutgoingRecord[] = [];
    for (let id = from; id < Math.min(DEPOSITS, from + 5_000); id++) {
      batch.push({
        topic: input,
        key: Buffer.from(walletOf(id)),
        value: Buffer.from(JSON.stringify({ id, amount: amountOf(id) })),
      });
    }
    await producer.send(batch);
  }
  await producer.close();
}

async function runKilledRepeatedly(t: TestContext, spec: BrokerSpec, group: string, input: string, output: string) {
  const stateDir = await mkdtemp(join(tmpdir(), 'herald-eos-state-'));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  const args = [spec, stateDir, group, input, output, GUARANTEE];
  const script = 'test/processor/exactly-once-child.ts';
  let kills = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const child = spawnJsonLinesChild<ChildEvent>(script, args, (fn) => t.after(fn));
    await waitFor('the child to start', childReached(child, (events) => events.some((e) => e.event === 'started')), 120_000);
    // Kill it at a random moment while it processes (restores, batches, commits, store writes all in flight).
    await new Promise((resolve) => setTimeout(resolve, 30 + Math.floor(Math.random() * 400)));
    if (child.events.some((e) => e.event === 'done')) break;
    child.process.kill('SIGKILL');
    kills += 1;
    await new Promise((resolve) => child.process.once('exit', resolve));
  }
  assert.ok(kills >= 2, `only ${kills} kills landed before the work was done`);
  const last = spawnJsonLinesChild<ChildEvent>(script, args, (fn) => t.after(fn));
  await waitFor('the last run to finish', () => {
    if (last.events.some((e) => e.event === 'done')) return true;
    return childReached(last, () => false)();
  }, 600_000);
}

async function verify(broker: Broker, group: string, output: string): Promise<void> {
  const expected = new Map<string, number>();
  for (let id = 0; id < DEPOSITS; id++) expected.set(walletOf(id), (expected.get(walletOf(id)) ?? 0) + amountOf(id));
  const table = new Map<string, { total: number; deposits: number }>();
  for (const r of await readAll(broker, groupTable(group))) table.set(r.key, JSON.parse(r.value));
  assert.equal(table.size, WALLETS);
  for (const [wallet, total] of expected) assert.equal(table.get(wallet)?.total, total, `${wallet} total is exact`);
  const ids = (await readAll(broker, output)).map((r) => (JSON.parse(r.value) as { id: number }).id);
  const seen = new Set<number>();
  const duplicates = ids.filter((id) => seen.has(id) || !seen.add(id));
  assert.deepEqual(duplicates.slice(0, 10), [], 'no deposit emitted twice');
  assert.equal(seen.size, DEPOSITS, 'every deposit emitted');
}

/**
 * With `broker` running here while the children reach it through `spec`: the deposits produced, the summing child
 * killed repeatedly, then every total and emitted record checked.
 */
async function sumKilledRepeatedly(t: TestContext, broker: Broker, spec: BrokerSpec): Promise<void> {
  const group = uniqueName('wallets');
  const input = uniqueName('deposits');
  const output = uniqueName('credited');
  await broker.admin.createTopic({ name: input, partitions: PARTITIONS });
  await broker.admin.createTopic({ name: output, partitions: PARTITIONS });
  await produceDeposits(broker, input);
  await runKilledRepeatedly(t, spec, group, input, output);
  await verify(broker, group, output);
}

describe(`exactly-once under SIGKILL (${DEPOSITS} deposits, ${WALLETS} wallets, ${GUARANTEE})`, () => {
  it('embedded broker: totals exact, emitted records unique', { timeout: 900_000 }, async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'herald-eos-broker-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const spec: BrokerSpec = { kind: 'embedded', dataDir };
    const group = uniqueName('wallets');
    const input = uniqueName('deposits');
    const output = uniqueName('credited');
    // The embedded broker belongs to one process at a time: set up, hand it to the children, then check.
    const setup = await createBroker(spec, logger);
    await setup.start();
    await setup.admin.createTopic({ name: input, partitions: PARTITIONS });
    await setup.admin.createTopic({ name: output, partitions: PARTITIONS });
    await produceDeposits(setup, input);
    await setup.stop();
    await runKilledRepeatedly(t, spec, group, input, output);
    const check = await createBroker(spec, logger);
    await check.start();
    t.after(() => check.stop());
    await verify(check, group, output);
  });

  it('embedded broker through its Kafka listener: totals exact, emitted records unique', { timeout: 900_000 }, async (t) => {
    // The broker lives in this process; the children reach it as Kafka clients (Kafka transactions on the
    // listener), and the check reads it with Herald's own readers, which stop at the last stable offset.
    const dataDir = await mkdtemp(join(tmpdir(), 'herald-eos-listener-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const broker = createEmbeddedBroker({ kind: 'embedded', dataDir, kafkaListener: { listen: '127.0.0.1:0' } }, logger);
    await broker.start();
    t.after(() => broker.stop());
    const { host, port } = broker.kafkaListenerAddress()!;
    const spec: BrokerSpec = { kind: 'kafka', bootstrap: [`${host}:${port}`] };
    await sumKilledRepeatedly(t, broker, spec);
  });

  it('Kafka: totals exact, a read_committed reader sees no duplicates', { timeout: 900_000 }, async (t) => {
    const bootstrap = await kafkaSingle(t);
    if (bootstrap === undefined) return;
    const spec: BrokerSpec = { kind: 'kafka', bootstrap };
    const broker = await createBroker(spec, logger);
    await broker.start();
    t.after(() => broker.stop());
    await sumKilledRepeatedly(t, broker, spec);
  });
});
