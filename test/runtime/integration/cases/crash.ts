import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe } from 'node:test';
import { childReached, type JsonLinesChild, spawnJsonLinesChild } from '../../../support/json-lines-child.ts';
import type { CrashPlan } from '../../crash-child.ts';
import { type Harness, json, type RuntimeTest } from '../harness.ts';

interface Event {
  event: 'started' | 'handled' | 'failed' | 'error';
  partition: number;
  offset: number;
  key: string;
  seq: number;
  message?: string;
}

type Child = JsonLinesChild<Event>;

function startChild(h: Harness, plan: CrashPlan): Child {
  return spawnJsonLinesChild<Event>('test/runtime/crash-child.ts', [h.spec, plan], (fn) => h.defer(fn));
}

async function waitForChild(h: Harness, child: Child, condition: (events: Event[]) => boolean, what: string) {
  await h.waitFor(
    childReached(child, condition),
    () => `crash-child: ${what}; ${child.events.length} events; stderr: ${child.stderr()}`,
  );
}

/** Per key, the sequence numbers a run handled must ascend one by one (a run may start anywhere: redelivery). */
function orderViolations(events: Event[]): string[] {
  const last = new Map<string, number>();
  const out: string[] = [];
  for (const e of events) {
    if (e.event !== 'handled') continue;
    const before = last.get(e.key);
    if (before !== undefined && e.seq !== before + 1) out.push(`${e.key}#${e.seq} after #${before}`);
    last.set(e.key, e.seq);
  }
  return out;
}

export function crashTests(test: RuntimeTest): void {
  describe('crash (SIGKILL)', () => {
    test('kill -9 mid-batch: every record is handled at least once after the restart', async (h) => {
      const keys = 20;
      const perKey = 15;
      const topic = await h.topic(3);
      const group = h.group();
      const records = Array.from({ length: perKey }, (_, seq) =>
        Array.from({ length: keys }, (_, k) => ({ key: `k${k}`, seq })),
      ).flat();
      records.splice(100, 0, { key: 'stuck', seq: 0 });
      const positions = await h
        .producer()
        .send(records.map((r) => ({ topic, key: Buffer.from(r.key), value: json(r) })));
      const stuck = positions[100];
      const reopen = async () => (h.spec.kind === 'embedded' ? h.open() : h.broker);
      // The embedded data dir belongs to one process at a time.
      if (h.spec.kind === 'embedded') await h.broker.stop();

      const plan: CrashPlan = {
        topic,
        group,
        failKeys: ['stuck'],
        delayMs: 3,
        sessionTimeoutMs: h.setup.crashSessionTimeoutMs,
      };
      const first = startChild(h, plan);
      await waitForChild(
        h,
        first,
        (events) =>
          events.filter((e) => e.event === 'handled').length >= 120 && events.some((e) => e.event === 'failed'),
        '120 records handled and the stuck one failing',
      );
      const exited = once(first.process, 'exit');
      first.process.kill('SIGKILL');
      assert.deepEqual(await exited, [null, 'SIGKILL']);

      let broker = await reopen();
      const committed = await h.committed(group, topic, broker);
      assert.ok(
        committed[stuck.partition] === null || committed[stuck.partition]! <= stuck.offset,
        `partition ${stuck.partition} was committed to ${committed[stuck.partition]}, past the failing offset ${stuck.offset}`,
      );
      if (h.spec.kind === 'embedded') await broker.stop();

      const second = startChild(h, { ...plan, failKeys: [] });
      const handled = (events: Event[]) =>
        new Set(events.filter((e) => e.event === 'handled').map((e) => `${e.partition}/${e.offset}`));
      // Every record from the committed offset on is handed to the second run again (at-least-once), so the second
      // run alone must handle all of those; together the runs handle every record.
      const uncommitted = positions.filter((p) => p.offset >= (committed[p.partition] ?? 0));
      const all = (events: Event[]) => {
        const again = handled(events);
        const either = new Set([...handled(first.events), ...again]);
        return (
          uncommitted.every((p) => again.has(`${p.partition}/${p.offset}`)) &&
          positions.every((p) => either.has(`${p.partition}/${p.offset}`))
        );
      };
      await waitForChild(h, second, all, `all ${uncommitted.length} uncommitted records handled again`);
      assert.ok(second.events.some((e) => e.event === 'handled' && e.key === 'stuck'));
      assert.deepEqual(orderViolations(first.events), []);
      assert.deepEqual(orderViolations(second.events), []);

      const stopped = once(second.process, 'exit');
      second.process.kill('SIGTERM');
      assert.deepEqual(await stopped, [0, null], second.stderr());
      broker = await reopen();
      await h.assertCommittedToEnd(group, topic, broker);
    });
  });
}
