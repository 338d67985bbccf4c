import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Handler, Middleware, PartitionScope } from '../../../../src/runtime/message.ts';
import { json, type RuntimeTest, sleep } from '../harness.ts';

type Event = string;

/** Records what the hooks of one partition saw, in order. */
function journal() {
  const events: Event[] = [];
  const of = (scope: PartitionScope) => `${scope.topic}/${scope.partition}`;
  return { events, of };
}

export function hookTests(test: RuntimeTest): void {
  describe('per-partition hooks', () => {
    test('onAssigned runs before any record of the partition and holds them while it fails', async (h) => {
      const topic = await h.topic(1);
      const { events } = journal();
      let failuresLeft = 2;
      let release!: () => void;
      const restored = new Promise<void>((resolve) => (release = resolve));
      await h.send([{ topic, partition: 0, key: Buffer.from('k'), value: json(1) }]);
      const router = h.router();
      router.handle(topic, h.group(), async (m) => void events.push(`record ${m.offset}`), {
        hooks: {
          onAssigned: async (scope) => {
            events.push(`assigned ${scope.partition}`);
            if (failuresLeft-- > 0) throw new Error('restore failed');
            await restored;
            events.push('restored');
          },
        },
      });
      await router.start();
      await h.waitFor(
        () => events.filter((e) => e.startsWith('assigned')).length === 3,
        () => `three onAssigned attempts (${events.join(', ')})`,
      );
      await sleep(100);
      assert.deepEqual(events, ['assigned 0', 'assigned 0', 'assigned 0'], 'no record ran before the restore');
      release();
      await h.waitFor(
        () => events.includes('record 0'),
        () => `the record after the restore (${events.join(', ')})`,
      );
      assert.deepEqual(events.slice(3), ['restored', 'record 0']);
    });

    test('beforeCommit is awaited before offsets are committed; a failing one commits nothing', async (h) => {
      const topic = await h.topic(1);
      const group = h.group();
      const flushed: number[] = [];
      let failing = true;
      let allow!: () => void;
      let gate = new Promise<void>((resolve) => (allow = resolve));
      const router = h.router({ commitIntervalMs: 20 });
      router.handle(topic, group, async () => {}, {
        hooks: {
          beforeCommit: async (_scope, offset) => {
            if (failing) throw new Error('state store unreachable');
            await gate;
            flushed.push(offset);
          },
        },
      });
      await router.start();
      await h.send([0, 1, 2].map((n) => ({ topic, partition: 0, value: json(n) })));
      await sleep(300);
      assert.deepEqual(await h.committed(group, topic), [null], 'nothing committed while the flush fails');
      failing = false;
      await sleep(300);
      assert.deepEqual(await h.committed(group, topic), [null], 'nothing committed while the flush runs');
      allow();
      await h.waitFor(
        async () => (await h.committed(group, topic))[0] === 3,
        () => 'the commit after the flush',
      );
      assert.deepEqual(flushed, [3], 'flushed once, for exactly the offset committed');
      gate = Promise.resolve();
    });

    test('onRevoked runs once a partition is given up, after its last commit', async (h) => {
      const topic = await h.topic(2);
      const group = h.group();
      const { events, of } = journal();
      const committedAtRevoke: (number | null)[][] = [];
      const hooks = (member: string) => ({
        onAssigned: (scope: PartitionScope) => void events.push(`${member} assigned ${of(scope)}`),
        onRevoked: async (scope: PartitionScope) => {
          events.push(`${member} revoked ${of(scope)}`);
          committedAtRevoke.push(await h.committed(group, topic));
        },
      });
      let handled = 0;
      const first = h.router({ name: 'first' });
      first.handle(topic, group, async () => void handled++, { hooks: hooks('first') });
      await first.start();
      await h.waitFor(
        () => events.length === 2,
        () => `both partitions assigned to the first member (${events.join(', ')})`,
      );
      await h.send([0, 1].map((partition) => ({ topic, partition, value: json(partition) })));
      await h.waitFor(
        () => handled === 2,
        () => `the first member handling both records (${handled})`,
      );
      // The second member's hooks come with a middleware rather than the handler's options.
      const carrying: Middleware = Object.assign((next: Handler) => next, hooks('second'));
      const second = h.router({ name: 'second', middleware: [carrying] });
      second.handle(topic, group, async () => {});
      await second.start();
      await h.waitFor(
        () => events.some((e) => e.startsWith('second assigned')),
        () => `a partition moved to the second member (${events.join(', ')})`,
      );
      const moved = events.find((e) => e.startsWith('second assigned'))!.slice('second assigned '.length);
      const revoked = events.indexOf(`first revoked ${moved}`);
      assert.ok(revoked >= 0 && revoked < events.indexOf(`second assigned ${moved}`), events.join(', '));
      const partition = Number(moved.split('/')[1]);
      assert.equal(committedAtRevoke[0][partition], 1, 'the record done before the revocation was committed');
      await first.stop();
      await second.stop();
      const revocations = events.filter((e) => e.includes('revoked')).length;
      assert.equal(revocations, events.filter((e) => e.includes('assigned')).length, 'every assignment was closed');
    });
  });
}
