/**
 * Faults on the 3-node cluster (`npm run kafka:cluster`: RF 3, min ISR 2, no unclean election):
 * 1. the partition leader's process is SIGKILLed while Herald produces with acks=all;
 * 2. a group member (a child process) is SIGKILLed mid-stream and started again.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it, type TestContext } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { killNode, startNode } from '../../../scripts/kafka/index.ts';
import type { Broker, BrokerRecord } from '../../../src/broker/port.ts';
import type { KafkaBrokerSpec } from '../../../src/broker/index.ts';
import { createKafkaBroker } from '../../../src/broker/kafka/index.ts';
import { HeraldError } from '../../../src/errors.ts';
import { kafkaCluster } from '../../support/kafka.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const TIMEOUT_MS = 120_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const name = (what: string) => `herald-fault-${what}-${process.pid}-${randomBytes(3).toString('hex')}`;

async function waitFor(condition: () => boolean, what: () => string, timeoutMs = TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`gave up after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(50);
  }
}

async function open(t: TestContext, spec: KafkaBrokerSpec): Promise<Broker> {
  const broker = createKafkaBroker(spec);
  t.after(() => broker.stop());
  await broker.start();
  return broker;
}

/** Node id of the leader of `topic`/`partition`, from fresh metadata. */
async function leaderOf(bootstrap: string[], topic: string, partition: number): Promise<number> {
  const admin = new Admin({ clientId: 'herald-fault-test', bootstrapBrokers: bootstrap });
  try {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    return metadata.topics.get(topic)?.partitions[partition]?.leader ?? -1;
  } finally {
    await admin.close();
  }
}

async function readAll(broker: Broker, topic: string, partition: number): Promise<BrokerRecord[]> {
  const out: BrokerRecord[] = [];
  for (;;) {
    const page = await broker.admin.read({ topic, partition, offset: out.length }, 500);
    if (page.length === 0) return out;
    out.push(...page);
  }
}

describe('kafka faults (3-node cluster)', () => {
  it('acks=all: a SIGKILLed leader loses no acknowledged send; producer and consumer carry on', async (t) => {
    const bootstrap = await kafkaCluster(t);
    if (bootstrap === undefined) return;
    const broker = await open(t, { kind: 'kafka', bootstrap });
    const topic = name('leader');
    await broker.admin.createTopic({ name: topic, partitions: 1, replicationFactor: 3 });
    t.after(() => broker.admin.deleteTopic(topic).catch(() => {}));

    const received = new Set<string>();
    const consumer = broker.consumer({ group: name('g'), topics: [topic] });
    await consumer.start({
      async onRecords(records) {
        for (const r of records) received.add(r.value?.toString() ?? '');
        const last = records[records.length - 1];
        // A commit may fail while the group coordinator moves; delivery does not depend on it.
        await consumer.commit([{ topic, partition: 0, offset: last.offset + 1 }]).catch(() => {});
      },
    });

    const producer = broker.producer();
    const acked: string[] = [];
    const failures: string[] = [];
    let producing = true;
    const loop = (async () => {
      for (let call = 0; producing; call++) {
        const values = Array.from({ length: 10 }, (_, i) => `c${call}-r${i}`);
        try {
          await producer.send(values.map((v) => ({ topic, value: Buffer.from(v) })));
          acked.push(...values);
        } catch (err) {
          assert.ok(err instanceof HeraldError && err.retriable, `a send failed for good: ${String(err)}`);
          failures.push(err.code);
          await sleep(100);
        }
      }
    })();

    await waitFor(
      () => acked.length >= 300,
      () => `300 acknowledged records before the kill; ${acked.length}`,
    );
    const leader = await leaderOf(bootstrap, topic, 0);
    assert.ok(leader > 0, `no leader for ${topic}`);
    t.after(() => startNode(leader));
    await killNode(leader);
    const atKill = acked.length;
    await waitFor(
      () => acked.length >= atKill + 500,
      () => `500 acknowledged records after killing node ${leader}; ${acked.length - atKill} (failures ${failures})`,
    );
    await waitFor(
      () => acked.every((v) => received.has(v)),
      () => `the consumer to see every acknowledged record; missing ${acked.filter((v) => !received.has(v)).length}`,
    );
    producing = false;
    await loop;
    assert.notEqual(await leaderOf(bootstrap, topic, 0), leader, 'leadership did not move');
    await consumer.close();

    const stored = (await readAll(broker, topic, 0)).map((r) => r.value?.toString() ?? '');
    const storedSet = new Set(stored);
    assert.deepEqual(
      acked.filter((v) => !storedSet.has(v)),
      [],
      'acknowledged records missing from the log',
    );
    assert.equal(storedSet.size, stored.length, 'the idempotent producer wrote a record twice');
    assert.deepEqual(
      failures.filter((code) => code !== 'HERALD_BROKER_UNAVAILABLE'),
      [],
    );
    t.diagnostic(`acked ${acked.length} (${acked.length - atKill} after the kill), failed sends: ${failures.length}`);

    await startNode(leader);
  });

  it('a SIGKILLed member: its partitions move, committed records are not redone, nothing is skipped', async (t) => {
    const bootstrap = await kafkaCluster(t);
    if (bootstrap === undefined) return;
    const spec: KafkaBrokerSpec = { kind: 'kafka', bootstrap };
    const broker = await open(t, spec);
    const partitions = 4;
    const topic = name('member');
    const group = name('g');
    await broker.admin.createTopic({ name: topic, partitions, replicationFactor: 3 });
    t.after(() => broker.admin.deleteTopic(topic).catch(() => {}));
    const producer = broker.producer();
    let produced = 0;
    let producing = true;
    // A steady stream (about 200 records/s) so that every member always has work while the test kills and restarts.
    const stream = (async () => {
      while (producing) {
        const records = Array.from({ length: 20 }, (_, i) => ({
          topic,
          key: Buffer.from(`k${produced + i}`),
          value: Buffer.from(`v${produced + i}`),
        }));
        produced += records.length;
        await producer.send(records);
        await sleep(100);
      }
    })();

    /** Every hand-over: who got which offset of which partition. */
    const handled: { who: string; partition: number; offset: number }[] = [];
    const inProcess = broker.consumer({ group, topics: [topic], sessionTimeoutMs: 6_000, maxBatchSize: 10 });
    await inProcess.start({
      async onRecords(records) {
        for (const r of records) handled.push({ who: 'parent', partition: r.partition, offset: r.offset });
        await sleep(20);
        const last = records[records.length - 1];
        await inProcess.commit([{ topic, partition: last.partition, offset: last.offset + 1 }]);
      },
    });

    const first = startMember(t, spec, topic, group);
    // Kill it mid-batch: after 3 commits, while it holds records it has not committed (the at-least-once window).
    await waitFor(
      () => first.events.filter((e) => e.event === 'committed').length >= 3 && first.events.at(-1)?.event === 'record',
      () =>
        `the child member inside a batch after 3 commits; ${JSON.stringify(first.events.slice(-5))} ${first.stderr()}`,
    );
    const exited = once(first.process, 'exit');
    first.process.kill('SIGKILL');
    await exited;
    for (const e of first.events) {
      if (e.event === 'record') handled.push({ who: 'killed', partition: e.partition!, offset: e.offset! });
    }
    // What the killed member committed last, per partition: below it nothing may be handled again.
    const committedByKilled = new Map<number, number>();
    for (const e of first.events) if (e.event === 'committed') committedByKilled.set(e.partition!, e.offset!);

    const second = startMember(t, spec, topic, group);
    await waitFor(
      () => second.events.filter((e) => e.event === 'committed').length >= 3,
      () => `the restarted member to commit 3 batches; ${JSON.stringify(second.events.slice(-5))} ${second.stderr()}`,
    );
    producing = false;
    await stream;

    const done = async () => {
      const described = await broker.admin.describeGroup(group);
      return described.offsets.length === partitions && described.offsets.every((o) => o.lag === 0);
    };
    const deadline = Date.now() + TIMEOUT_MS;
    while (!(await done())) {
      assert.ok(
        Date.now() < deadline,
        `the group did not catch up: ${JSON.stringify(await broker.admin.describeGroup(group))}`,
      );
      await sleep(250);
    }
    for (const e of second.events) {
      if (e.event === 'record') handled.push({ who: 'restarted', partition: e.partition!, offset: e.offset! });
    }
    const error = [...first.events, ...second.events].find((e) => e.event === 'error');
    assert.equal(error, undefined, `a child member failed: ${error?.message}`);

    const latest = (await broker.admin.describeTopic(topic)).partitions;
    for (const { partition, latest: end } of latest) {
      const offsets = handled.filter((h) => h.partition === partition);
      const seen = new Set(offsets.map((h) => h.offset));
      const skipped = Array.from({ length: end }, (_, o) => o).filter((o) => !seen.has(o));
      assert.deepEqual(skipped, [], `partition ${partition}: offsets never handled`);
      const counts = new Map<number, number>();
      for (const h of offsets) counts.set(h.offset, (counts.get(h.offset) ?? 0) + 1);
      const redone = [...counts].filter(([, n]) => n > 1).map(([o]) => o);
      // At-least-once window: records the killed member got but had not committed when it died.
      const floor = committedByKilled.get(partition) ?? 0;
      const gotByKilled = new Set(offsets.filter((h) => h.who === 'killed').map((h) => h.offset));
      const outside = redone.filter((o) => o < floor || !gotByKilled.has(o));
      assert.deepEqual(outside, [], `partition ${partition}: handled twice outside the at-least-once window`);
    }
    const again = handled.length - new Set(handled.map((h) => `${h.partition}:${h.offset}`)).size;
    t.diagnostic(`produced ${produced}, hand-overs ${handled.length}: ${again} again, all inside the window`);
    second.process.kill('SIGTERM');
    await once(second.process, 'exit');
  });
});

interface MemberEvent {
  event: string;
  partition?: number;
  offset?: number;
  partitions?: number[];
  message?: string;
}

interface Member {
  process: ChildProcess;
  events: MemberEvent[];
  stderr: () => string;
}

function startMember(t: TestContext, spec: KafkaBrokerSpec, topic: string, group: string): Member {
  const child = spawn(
    join(ROOT, 'node_modules/.bin/node'),
    ['test/broker/kafka/fixtures/member.ts', JSON.stringify(spec), topic, group, '6000', '40'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const events: MemberEvent[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    events.push(JSON.parse(line) as MemberEvent);
  });
  return { process: child, events, stderr: () => stderr };
}
