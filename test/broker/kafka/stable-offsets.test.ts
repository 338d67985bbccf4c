import assert, { rejects } from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { ConnectionPool, Consumer } from '@platformatic/kafka';
import { stableCommittedOffsets } from '../../../src/broker/kafka/stable-offsets.ts';
import { once } from 'node:events';
import { childReached, spawnJsonLinesChild } from '../../support/json-lines-child.ts';
import { brokerWithTopics, unique } from './fixtures/broker-with-topics.ts';
import type { TransactionPlan } from './fixtures/transaction-child.ts';


/**
 * A started broker on the local Kafka node with one-partition `input` and `output` topics, a group name, and a
 * library client of that group (never joining it) with a connection pool for {@link stableCommittedOffsets};
 * `undefined` when Kafka is not there (the test is skipped).
 */
async function open(t: TestContext) {
  const opened = await brokerWithTopics(t);
  if (opened === undefined) return undefined;
  const { bootstrap } = opened;
  const group = unique('g');
  const lookup = new Consumer({ clientId: unique('lookup'), groupId: group, bootstrapBrokers: bootstrap });
  const pool = new ConnectionPool(unique('lookup'), {});
  t.after(async () => {
    await pool.close();
    await lookup.close();
  });
  return { ...opened, group, lookup, pool };
}

/**
 * Kafka answers EndTxn before it writes the transaction's markers; a plain OffsetFetch in between returns the offsets
 * from before the transaction (8 of 30 times here). Read at once after each `commitTransaction`, the stable lookup a
 * read_committed member starts from and `describeGroup` must both give the offset just committed.
 */
describe('kafka: committed offsets read right after a transaction', () => {
  it('are the transaction’s, every time', async (t) => {
    const opened = await open(t);
    if (opened === undefined) return;
    const { broker, input, output, group, lookup, pool } = opened;
    const consumer = broker.consumer({ group, topics: [input], transactionalId: unique('tx') });
    t.after(() => consumer.close());
    await consumer.start({ onRecords() {} });
    const seen: [number, number][] = [];
    for (let offset = 1; offset <= 30; offset++) {
      await consumer.commitTransaction([{ topic: output, partition: 0, value: Buffer.from('x') }], [{ topic: input, partition: 0, offset }]);
      if (offset % 2 === 0) {
        const committed = await stableCommittedOffsets(lookup, pool, [{ topic: input, partitions: [0] }]);
        seen.push([offset, Number(committed.get(input)?.[0] ?? -1n)]);
      } else {
        const described = await broker.admin.describeGroup(group);
        seen.push([offset, described.offsets.find((o) => o.topic === input)?.committed ?? -1]);
      }
    }
    assert.deepEqual(seen.filter(([want, got]) => want !== got), []);
  });

  it('wait while a transaction holding them is open, and read what is left once it is fenced', async (t) => {
    const opened = await open(t);
    if (opened === undefined) return;
    const { bootstrap, broker, input, output, group, lookup, pool } = opened;
    const transactionalId = unique('tx');
    const plan: TransactionPlan = { mode: 'raw', bootstrap, transactionalId, topic: output, input, group: '', count: 1, valueBytes: 10, offsetsGroup: group };
    const zombie = spawnJsonLinesChild<{ event: string; message?: string }>('test/broker/kafka/fixtures/transaction-child.ts', [plan], (fn) => t.after(fn));
    const opening = childReached(zombie, (events) => events.some((e) => e.event === 'open'));
    for (const deadline = Date.now() + 30_000; !opening(); ) {
      assert.ok(Date.now() < deadline, 'the child did not open its transaction in 30 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    // The open transaction holds input/0@5: no stable answer, and no stale one either.
    await rejects(stableCommittedOffsets(lookup, pool, [{ topic: input, partitions: [0] }]), { code: 'HERALD_TIMEOUT' });
    // describeGroup shows what was committed before it (nothing) rather than failing.
    await rejects(broker.admin.describeGroup(group), { code: 'HERALD_GROUP_NOT_FOUND' });

    const exited = once(zombie.process, 'exit');
    zombie.process.kill('SIGKILL');
    await exited;
    // A successor with the same transactional id fences the zombie: its transaction, offsets included, is aborted.
    const successor = broker.consumer({ group: unique('g2'), topics: [input], transactionalId });
    t.after(() => successor.close());
    await successor.start({ onRecords() {} });
    const committed = await stableCommittedOffsets(lookup, pool, [{ topic: input, partitions: [0] }]);
    assert.equal(committed.get(input)?.[0] ?? -1n, -1n);
  });
});
