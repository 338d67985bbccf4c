import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import type { Broker, BrokerRecord, Isolation, TailBatch } from '../../../src/broker/port.ts';
import { Consumer } from '@platformatic/kafka';
import pino from 'pino';
import { createKafkaBroker } from '../../../src/broker/kafka/index.ts';
import { type KafkaBrokerSpec, resolveSettings, type TransactionProtocol } from '../../../src/broker/kafka/options.ts';
import { TransactionalCommitter } from '../../../src/broker/kafka/transactions.ts';
import { TURNS_BEFORE_START } from '../../../src/broker/kafka/transaction-spacing.ts';
import { childReached, type JsonLinesChild, spawnJsonLinesChild } from '../../support/json-lines-child.ts';
import { kafkaSingle } from '../../support/kafka.ts';
import type { TransactionPlan } from './fixtures/transaction-child.ts';

/**
 * Zombie fencing on a real Kafka: a process killed in the middle of a transaction leaves nothing visible, and a
 * successor with the same transactional id ends the open transaction at once (the child's transaction timeout is
 * 60 s; the waits below give up long before it, so only fencing can make them pass).
 */
const WAIT_MS = 30_000;

interface ChildEvent {
  event: string;
  message?: string;
}

const unique = (prefix: string) => `herald-${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`gave up after ${WAIT_MS} ms waiting for ${what}`);
    await sleep(20);
  }
}

async function open(t: TestContext, protocol: TransactionProtocol = 'auto'): Promise<{ broker: Broker; bootstrap: string[] } | undefined> {
  const bootstrap = await kafkaSingle(t);
  if (bootstrap === undefined) return undefined;
  const broker = createKafkaBroker({ kind: 'kafka', bootstrap, transactions: { protocol } });
  t.after(() => broker.stop());
  await broker.start();
  return { broker, bootstrap };
}

async function topic(t: TestContext, broker: Broker, prefix: string): Promise<string> {
  const name = unique(prefix);
  await broker.admin.createTopic({ name, partitions: 1 });
  t.after(() => broker.admin.deleteTopic(name).catch(() => {}));
  return name;
}

async function end(broker: Broker, name: string, isolation: Isolation): Promise<number> {
  return (await broker.admin.endOffsets(name, { isolation }))[0].latest;
}

function child(t: TestContext, plan: TransactionPlan): JsonLinesChild<ChildEvent> {
  return spawnJsonLinesChild<ChildEvent>('test/broker/kafka/fixtures/transaction-child.ts', [plan], (fn) => t.after(fn));
}

async function kill(process: JsonLinesChild<ChildEvent>['process']): Promise<void> {
  const exited = once(process, 'exit');
  process.kill('SIGKILL');
  await exited;
}

/** Everything a group consumer with `isolation` gets from `name`, from the start. */
async function consume(t: TestContext, broker: Broker, name: string, isolation: Isolation) {
  const got: BrokerRecord[] = [];
  const consumer = broker.consumer({ group: unique('g'), topics: [name], isolation });
  t.after(() => consumer.close());
  await consumer.start({
    onRecords(records) {
      got.push(...records);
    },
  });
  return got;
}

/** A started committer for transactions of records only (no group offsets). */
async function recordsOnlyCommitter(
  t: TestContext,
  spec: KafkaBrokerSpec,
  load?: () => number,
): Promise<TransactionalCommitter> {
  const committer = new TransactionalCommitter(
    { ...resolveSettings(spec), transactionLoad: load },
    { transactionalId: unique('tx'), transactionTimeoutMs: 10_000, group: unique('g') },
    { client: () => assert.fail('no offsets in these transactions'), owns: () => true },
    pino({ enabled: false }),
  );
  t.after(() => committer.close());
  await committer.init();
  return committer;
}

// Both of Kafka's transaction protocols (`transaction-v2.ts`): the local node (Kafka 4.x) runs the second.
for (const protocol of [1, 2] as const) describe(`kafka transactions (protocol ${protocol}): a producer killed mid-transaction`, () => {
  it('leaves nothing visible, and a successor with its transactional id aborts the open transaction at once', async (t) => {
    const opened = await open(t, protocol);
    if (opened === undefined) return;
    const { broker, bootstrap } = opened;
    const output = await topic(t, broker, 'out');
    const input = await topic(t, broker, 'in');
    const transactionalId = unique('tx');
    const zombie = child(t, {
      mode: 'raw',
      bootstrap,
      transactionalId,
      topic: output,
      input,
      group: '',
      count: 50,
      valueBytes: 100,
    });
    await waitUntil(childReached(zombie, (events) => events.some((e) => e.event === 'open')), 'the open transaction');
    const uncommitted = await consume(t, broker, output, 'read_uncommitted');
    const committed = await consume(t, broker, output, 'read_committed');
    const batches: TailBatch[] = [];
    const reader = broker.reader({ from: [{ topic: output, partition: 0, offset: 0 }] });
    t.after(() => reader.close());
    await reader.start({
      onRecords(batch) {
        batches.push(batch);
      },
    });
    // The records are in the log, but the open transaction holds the last stable offset at its first record.
    assert.equal(await end(broker, output, 'read_uncommitted'), 50);
    assert.equal(await end(broker, output, 'read_committed'), 0);
    await waitUntil(() => uncommitted.length === 50, 'a read_uncommitted consumer to see the open transaction');
    await kill(zombie.process);

    const successor = broker.consumer({ group: unique('g'), topics: [input], transactionalId });
    t.after(() => successor.close());
    await successor.start({ onRecords() {} });
    // The abort marker follows the 50 records: the stable end moves past it without waiting for the timeout.
    await waitUntil(async () => (await end(broker, output, 'read_committed')) === 51, 'the open transaction to end');
    assert.equal(await end(broker, output, 'read_uncommitted'), 51);
    await waitUntil(() => (batches.at(-1)?.next ?? 0) >= 51, 'the tail reader to pass the aborted transaction');

    await successor.commitTransaction([{ topic: output, value: Buffer.from('after') }], []);
    await waitUntil(() => committed.length === 1, 'the committed record');
    await waitUntil(() => batches.flatMap((b) => b.records).length === 1, 'the tail reader to get it');
    assert.deepEqual(
      committed.map((r) => r.value?.toString()),
      ['after'],
    );
    assert.deepEqual(
      batches.flatMap((b) => b.records.map((r) => r.value?.toString())),
      ['after'],
    );
    assert.deepEqual(
      (await broker.admin.read({ topic: output, partition: 0, offset: 0 }, 100)).map((r) => r.value?.toString()),
      ['after'],
    );
  });

  it("Herald's commitTransaction killed midway: all of it or nothing, and the successor carries on", async (t) => {
    const opened = await open(t, protocol);
    if (opened === undefined) return;
    const { broker, bootstrap } = opened;
    const output = await topic(t, broker, 'out');
    const input = await topic(t, broker, 'in');
    await broker.producer().send([{ topic: input, value: Buffer.from('in-0') }]);
    const transactionalId = unique('tx');
    const group = unique('g');
    const count = 5_000;
    const victim = child(t, {
      mode: 'herald',
      bootstrap,
      transactionalId,
      topic: output,
      input,
      group,
      count,
      valueBytes: 1_000,
      protocol,
    });
    await waitUntil(childReached(victim, (events) => events.some((e) => e.event === 'started')), 'the child to start');
    await waitUntil(async () => (await end(broker, output, 'read_uncommitted')) > 0, 'records in the log');
    await kill(victim.process);
    const finished = victim.events.some((e) => e.event === 'committed');

    const successor = broker.consumer({ group, topics: [input], transactionalId });
    t.after(() => successor.close());
    await successor.start({ onRecords() {} });
    const stable = async () =>
      (await end(broker, output, 'read_committed')) === (await end(broker, output, 'read_uncommitted'));
    await waitUntil(stable, 'no transaction left open');
    const visible: BrokerRecord[] = [];
    for (let offset = 0; ; ) {
      const page = await broker.admin.read({ topic: output, partition: 0, offset }, 1_000);
      if (page.length === 0) break;
      visible.push(...page);
      offset = page[page.length - 1].offset + 1;
    }
    const info = await broker.admin.describeGroup(group);
    const inputOffset = info.offsets.find((o) => o.topic === input)?.committed ?? null;
    if (finished) {
      assert.equal(visible.length, count);
      assert.equal(inputOffset, 1);
    } else {
      t.diagnostic('killed before the commit: nothing may be visible');
      assert.equal(visible.length, 0, 'records of an unfinished transaction became visible');
      assert.equal(inputOffset, null, 'the offset of an unfinished transaction was committed');
    }
    await successor.commitTransaction([{ topic: output, value: Buffer.from('next') }], [{ topic: input, partition: 0, offset: 1 }]);
    // EndTxn answers before the coordinator has written the commit markers: the record becomes visible shortly after.
    const from = (visible.at(-1)?.offset ?? -1) + 1;
    let after: BrokerRecord[] = [];
    await waitUntil(async () => {
      after = await broker.admin.read({ topic: output, partition: 0, offset: from }, 10_000);
      return after.length > 0;
    }, "the successor's record to become visible");
    assert.deepEqual(
      after.map((r) => r.value?.toString()),
      ['next'],
    );
  });

  it('a transaction the broker aborted for its timeout is retriable, not a fencing: the next one commits', async (t) => {
    const opened = await open(t, protocol);
    if (opened === undefined) return;
    const { broker, bootstrap } = opened;
    const output = await topic(t, broker, 'out');
    const input = await topic(t, broker, 'in');
    const group = unique('g');
    const real = new Consumer({ clientId: 'slow-member', bootstrapBrokers: bootstrap, groupId: group, autocommit: false });
    t.after(() => real.close(true));
    real.topics.track(input);
    await real.joinGroup({});
    // The first offset commit stalls past the transaction timeout and the coordinator's abort of timed-out
    // transactions (it checks every 10 s by default).
    let stall = true;
    const client = new Proxy(real, {
      get(target, property) {
        if (stall && property === 'coordinatorId') return null;
        if (stall && property === 'findGroupCoordinator') {
          return async () => {
            stall = false;
            await sleep(15_000);
            return target.findGroupCoordinator();
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const committer = new TransactionalCommitter(
      resolveSettings({ kind: 'kafka', bootstrap, transactions: { protocol } }),
      { transactionalId: unique('tx'), transactionTimeoutMs: 1_000, group },
      { client: () => client, owns: () => true },
      pino({ enabled: false }),
    );
    t.after(() => committer.close());
    await committer.init();
    const position = [{ topic: input, partition: 0, offset: 1 }];
    const err = await committer.commit([{ topic: output, value: Buffer.from('late') }], position).then(
      () => assert.fail('a transaction past its timeout committed'),
      (e: unknown) => e as { code: string; retriable: boolean },
    );
    assert.equal(err.code, 'HERALD_TIMEOUT');
    assert.equal(err.retriable, true);
    await committer.commit([{ topic: output, value: Buffer.from('again') }], position);
    // Kafka writes the commit markers after it answers EndTxn: read_committed readers see them a moment later.
    await waitUntil(async () => (await end(broker, output, 'read_committed')) === 4, 'the commit marker');
    assert.deepEqual(
      (await broker.admin.read({ topic: output, partition: 0, offset: 0 }, 10)).map((r) => r.value?.toString()),
      ['again'],
    );
  });

  it('a transaction a partition refuses is aborted whole, and the next one commits from a new epoch', async (t) => {
    const opened = await open(t, protocol);
    if (opened === undefined) return;
    const { broker, bootstrap } = opened;
    const roomy = await topic(t, broker, 'roomy');
    const tight = unique('tight');
    await broker.admin.createTopic({ name: tight, partitions: 1, configs: { 'max.message.bytes': '1024' } });
    t.after(() => broker.admin.deleteTopic(tight).catch(() => {}));
    const committer = await recordsOnlyCommitter(t, { kind: 'kafka', bootstrap, transactions: { protocol } });
    await committer.commit([{ topic: roomy, value: Buffer.from('a') }], []);
    // The refused batch's partition never saw its sequence number; the other partition's batch was written (then
    // aborted). The next transaction must not count on either.
    await assert.rejects(
      committer.commit([
        { topic: roomy, value: Buffer.from('b') },
        { topic: tight, value: Buffer.from('x'.repeat(4000)) },
      ], []),
      (err: unknown) => (err as { code?: string }).code === 'HERALD_PAYLOAD_TOO_LARGE',
    );
    await committer.commit([{ topic: roomy, value: Buffer.from('c') }], []);
    const got = await consume(t, broker, roomy, 'read_committed');
    await waitUntil(() => got.length >= 2, 'the committed records');
    await sleep(200);
    assert.deepEqual(got.map((r) => r.value?.toString()), ['a', 'c']);
  });
});

describe('kafka transactions: spacing', () => {
  it('under load transactions start transactions.intervalMs apart, sharing the calls made meanwhile; sparse commits go at once', async (t) => {
    const opened = await open(t);
    if (opened === undefined) return;
    const { broker, bootstrap } = opened;
    const output = await topic(t, broker, 'spaced');
    const INTERVAL = 1_000;
    // A saturated process: the whole interval (with time to spare, transactions are not spaced).
    const committer = await recordsOnlyCommitter(t, { kind: 'kafka', bootstrap, transactions: { intervalMs: INTERVAL } }, () => 1);
    const commit = (value: string) => committer.commit([{ topic: output, value: Buffer.from(value) }], []);
    const timed = async (value: string) => {
      const start = performance.now();
      const [position] = await commit(value);
      return { offset: position.offset, ms: performance.now() - start };
    };
    const started = performance.now();
    const first = commit('a');
    // Made while the first transaction runs (it starts after TURNS_BEFORE_START turns; its requests take
    // milliseconds, and these follow within a turn or two): they wait for the interval and share one transaction.
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    for (let n = 0; n <= TURNS_BEFORE_START; n++) await turn();
    const meanwhile = [commit('b')];
    await turn();
    meanwhile.push(commit('c'), commit('d'));
    const [[a], [b], [c], [d]] = await Promise.all([first, ...meanwhile]);
    assert.ok(performance.now() - started >= INTERVAL, 'the second transaction started before the interval passed');
    // One transaction: consecutive offsets, then its marker; three would each be followed by a marker.
    assert.deepEqual([b.offset, c.offset, d.offset], [a.offset + 2, a.offset + 3, a.offset + 4]);
    // Right after a transaction of several calls (load): spaced too.
    const afterLoad = await timed('e');
    assert.ok(afterLoad.ms >= INTERVAL / 2, `a commit right after a loaded transaction waited only ${afterLoad.ms} ms`);
    // Right after a transaction of one call and record, or long after any: at once.
    const sparse = await timed('f');
    assert.ok(sparse.ms < INTERVAL * 0.8, `a commit after a one-record transaction waited ${sparse.ms} ms`);
    await sleep(INTERVAL);
    const later = await timed('g');
    assert.ok(later.ms < INTERVAL * 0.8, `a commit long after the last transaction waited ${later.ms} ms`);
  });

  it("a consumer's transactionIntervalMs spaces its transactions in full on an idle loop, where the broker's interval does not", async (t) => {
    const opened = await open(t);
    if (opened === undefined) return;
    const { broker } = opened;
    const input = await topic(t, broker, 'own-in');
    const output = await topic(t, broker, 'own-out');
    const INTERVAL = 1_000;
    /** How long a commit made while another runs waits, for a consumer with these options. */
    const followerWait = async (extra: { transactionIntervalMs?: number }) => {
      const consumer = broker.consumer({ group: unique('g'), topics: [input], ...extra });
      t.after(() => consumer.close());
      await consumer.start({ onRecords() {} });
      const commit = (value: string) => consumer.commitTransaction([{ topic: output, value: Buffer.from(value) }], []);
      const first = commit('a');
      for (let n = 0; n <= TURNS_BEFORE_START; n++) await new Promise((resolve) => setImmediate(resolve));
      const started = performance.now();
      await Promise.all([first, commit('b')]);
      return performance.now() - started;
    };
    const own = await followerWait({ transactionIntervalMs: INTERVAL });
    assert.ok(own >= INTERVAL * 0.9, `with its own interval, the follower waited only ${own} ms`);
    const byLoad = await followerWait({});
    assert.ok(byLoad < INTERVAL / 2, `with the broker's interval on an idle loop, the follower waited ${byLoad} ms`);
  });

  it('a call made in the turn after a transaction ends joins the transaction that follows it', async (t) => {
    const opened = await open(t);
    if (opened === undefined) return;
    const { broker, bootstrap } = opened;
    const output = await topic(t, broker, 'follower');
    // Time to spare: transactions back to back.
    const committer = await recordsOnlyCommitter(t, { kind: 'kafka', bootstrap, transactions: { intervalMs: 1_000 } }, () => 0);
    const commit = (value: string) => committer.commit([{ topic: output, value: Buffer.from(value) }], []);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const first = commit('a');
    for (let n = 0; n <= TURNS_BEFORE_START; n++) await turn();
    // Made while the first runs: the transaction that follows it.
    const second = commit('b');
    await first;
    // What a processor does when the end of its last commit lets its next batch through.
    await turn();
    const third = commit('c');
    const [[b], [c]] = await Promise.all([second, third]);
    assert.equal(c.offset, b.offset + 1, 'one transaction for both (a second one would put its marker between them)');
  });
});

