import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrokerRecord } from '../../../src/broker/port.ts';
import { openBroker, rejectsWithCode, uniqueName } from './helpers.ts';

/** Checks made inside the write: what changes between the call and the group commit still refuses the call. */
describe('embedded commitTransaction', () => {
  it('a newer instance starting before the write fences a call already made', async (t) => {
    const broker = await openBroker(t);
    const input = uniqueName('in');
    const output = uniqueName('out');
    await broker.admin.createTopic({ name: input, partitions: 1 });
    await broker.admin.createTopic({ name: output, partitions: 1 });
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

  it('a partition revoked before the write refuses a call already made', async (t) => {
    const broker = await openBroker(t);
    const input = uniqueName('in');
    const output = uniqueName('out');
    await broker.admin.createTopic({ name: input, partitions: 1 });
    await broker.admin.createTopic({ name: output, partitions: 1 });
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
