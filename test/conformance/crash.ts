import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe } from 'node:test';
import { childReached, type JsonLinesChild, spawnJsonLinesChild } from '../support/json-lines-child.ts';
import { createBroker } from '../../src/broker/index.ts';
import type { CrashPlan } from './crash-child.ts';
import { type Harness, type HarnessTest, range, readPartition, rejectsWithCode, text, waitFor } from './helpers.ts';
import { collect, positions, record } from './recorder.ts';

interface ChildEvent {
  event: string;
  partition?: number;
  offset?: number;
  value?: string;
  message?: string;
}

type Child = JsonLinesChild<ChildEvent>;

function startChild(h: Harness, plan: CrashPlan): Child {
  return spawnJsonLinesChild<ChildEvent>('test/conformance/crash-child.ts', [h.spec, plan], (fn) => h.defer(fn));
}

/** Waits until `condition` holds over the child's events; fails early if the child reports an error or exits. */
async function waitForChild(h: Harness, child: Child, condition: (events: ChildEvent[]) => boolean, what: string) {
  await waitFor(
    childReached(child, condition),
    () => `crash-child to report ${what}; events: ${child.events.length}; stderr: ${child.stderr()}`,
    h.timeoutMs,
  );
}

async function kill(child: Child): Promise<void> {
  const exited = once(child.process, 'exit');
  child.process.kill('SIGKILL');
  const [code, signal] = await exited;
  assert.deepEqual([code, signal], [null, 'SIGKILL']);
}

export function crashTests(test: HarnessTest): void {
  describe('crash (SIGKILL)', () => {
    test('after a member is killed, uncommitted records are redelivered, committed ones are not', async (h) => {
      const partitions = 2;
      const perPartition = 20;
      const commitBelow = 8;
      const topic = await h.topic(partitions);
      const produceTopic = await h.topic(1);
      const group = h.group();
      await h
        .producer()
        .send(
          range(partitions).flatMap((partition) =>
            range(perPartition).map((i) => ({ topic, partition, value: Buffer.from(`p${partition}-${i}`) })),
          ),
        );
      // The data dir (or connection) is the child's while it runs.
      await h.broker.stop();

      const plan: CrashPlan = {
        topic,
        group,
        expected: partitions * perPartition,
        commitBelow,
        produceTopic,
        sessionTimeoutMs: h.features.crashSessionTimeoutMs,
      };
      const child = startChild(h, plan);
      await waitForChild(h, child, (events) => events.filter((e) => e.event === 'sent').length >= 20, '20 sends');
      if (h.features.crashRestart === 'sameDataDir') {
        const intruder = await createBroker(structuredClone(h.spec));
        h.defer(() => intruder.stop());
        await rejectsWithCode(() => intruder.start(), 'HERALD_DATA_DIR_LOCKED');
      }
      await kill(child);
      const committed = child.events.filter((e) => e.event === 'committed');
      assert.deepEqual(
        committed.map((e) => [e.partition, e.offset]).sort(),
        range(partitions).map((p) => [p, commitBelow]),
      );

      const broker = await h.open();
      const group0 = await broker.admin.describeGroup(group);
      assert.deepEqual(
        group0.offsets.map((o) => [o.partition, o.committed]).sort(),
        range(partitions).map((p) => [p, commitBelow]),
      );
      const recorder = await record(h.consumer({ group, topics: [topic] }, broker));
      const expected = range(partitions).flatMap((partition) =>
        range(perPartition - commitBelow, commitBelow).map((offset) => ({ topic, partition, offset })),
      );
      const got = await collect(recorder, expected.length, h.timeoutMs);
      assert.deepEqual(positions(got), positions(expected));
      assert.deepEqual(recorder.violations, []);
    });

    test('records acknowledged before a SIGKILL are stored; the log stays dense and writable', async (h) => {
      const topic = await h.topic(1);
      const produceTopic = await h.topic(1);
      await h.producer().send([{ topic, value: Buffer.from('only') }]);
      await h.broker.stop();

      const child = startChild(h, { topic, group: h.group(), expected: 1, commitBelow: 1, produceTopic });
      await waitForChild(h, child, (events) => events.filter((e) => e.event === 'sent').length >= 50, '50 sends');
      await kill(child);
      const acked = child.events.filter((e) => e.event === 'sent');

      const broker = await h.open();
      const stored = await readPartition(broker, produceTopic, 0);
      assert.deepEqual(
        stored.map((r) => r.offset),
        range(stored.length),
        'offsets after the crash are not dense',
      );
      assert.ok(stored.length >= acked.length, `acknowledged ${acked.length} records, ${stored.length} stored`);
      assert.deepEqual(
        stored.slice(0, acked.length).map((r) => [r.offset, text(r.value)]),
        acked.map((e) => [e.offset, e.value]),
      );
      assert.deepEqual(
        stored.map((r) => text(r.value)),
        range(stored.length).map((i) => `crash-${i}`),
        'a record torn by the crash was kept',
      );
      const [next] = await h.producer(broker).send([{ topic: produceTopic, value: Buffer.from('after') }]);
      assert.equal(next.offset, stored.length);
    });
  });
}
