import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { BrokerRecord, CommitChain } from '../../../src/broker/port.ts';
import { openBroker, rejectsWithCode, uniqueName } from './helpers.ts';

/** A started broker with an input and an output topic of one partition each. */
async function withTopics(t: TestContext) {
  const broker = await openBroker(t);
  const input = uniqueName('in');
  const output = uniqueName('out');
  await broker.admin.createTopic({ name: input, partitions: 1 });
  await broker.admin.createTopic({ name: output, partitions: 1 });
  return { broker, input, output };
}

/** Checks made inside the write: what changes between the call and the group commit still refuses the call. */
describe('embedded commitTransaction', () => {
  it('a newer instance starting before the write fences a call already made', async (t) => {
    const { broker, input, output } = await withTopics(t);
    const transactionalId = uniqueName('tx');
    const older = broker.consumer({ group: uniqueName('g'), topics: [input], transactionalId });
    await older.start({ onRecords() {} });
    const pending = older.commitTransaction(
      [{ topic: output, value: Buffer.from('zombie') }],
      [{ topic: input, partition: 0, offset: 1 }],
    );
    // Claims the id synchronously, before the writer's next turn.
    const newer = broker.consumer({ group: uniqueName('g'), topics: [input], transactionalId });
    const joined = newer.start({ onRecords() {} });
    await rejectsWithCode(() => pending, 'HERALD_FENCED');
    await joined;
    assert.deepEqual(await broker.admin.read({ topic: output, partition: 0, offset: 0 }, 10), []);
    await newer.close();
    // A closed holder releases the id: another instance may take it without anyone being fenced.
    const third = broker.consumer({ group: uniqueName('g'), topics: [input], transactionalId });
    await third.start({ onRecords() {} });
    await third.commitTransaction([{ topic: output, value: Buffer.from('ok') }], []);
    assert.equal((await broker.admin.read({ topic: output, partition: 0, offset: 0 }, 10)).length, 1);
  });

  it('a chained call refused in the write for a topic deleted meanwhile breaks the chain for the calls after it', async (t) => {
    const { broker, input, output } = await withTopics(t);
    const group = uniqueName('g');
    const consumer = broker.consumer({ group, topics: [input], transactionalId: uniqueName('tx') });
    await consumer.start({ onRecords() {} });
    const chain: CommitChain = { failure: undefined };
    // Made together (one write); the output topic goes before the write, so the first is refused in it.
    const own = (offset: number) => [{ topic: input, partition: 0, offset }];
    const first = consumer.commitTransaction([{ topic: output, value: Buffer.from('gone') }], own(1), chain);
    const second = consumer.commitTransaction([], own(2), chain);
    const deleted = broker.admin.deleteTopic(output);
    await rejectsWithCode(() => first, 'HERALD_TOPIC_NOT_FOUND');
    await rejectsWithCode(() => second, 'HERALD_TOPIC_NOT_FOUND');
    await deleted;
    const info = await broker.admin.describeGroup(group);
    const committed = info.offsets.find((o) => o.topic === input && o.partition === 0)?.committed ?? null;
    assert.equal(committed, null, 'nothing of the chain after the failure');
  });

  it('a partition revoked before the write refuses a call already made', async (t) => {
    const { broker, input, output } = await withTopics(t);
    const group = uniqueName('g');
    const consumer = broker.consumer({ group, topics: [input] });
    let pending: Promise<unknown> | undefined;
    let outcome: unknown;
    await consumer.start({
      onRecords(_records: BrokerRecord[]) {},
      onRevoked() {
        // Made while still owned; written after the partition is gone (close forgets it right after onRevoked).
        pending = consumer
          .commitTransaction([{ topic: output, value: Buffer.from('late') }], [{ topic: input, partition: 0, offset: 1 }])
          .catch((err: unknown) => {
            outcome = err;
          });
      },
    });
    await consumer.close();
    assert.ok(pending !== undefined);
    await pending;
    await rejectsWithCode(() => Promise.reject(outcome), 'HERALD_NOT_ASSIGNED');
    assert.deepEqual(await broker.admin.read({ topic: output, partition: 0, offset: 0 }, 10), []);
  });
});
