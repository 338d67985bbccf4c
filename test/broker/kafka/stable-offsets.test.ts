import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConnectionPool, Consumer } from '@platformatic/kafka';
import { createKafkaBroker } from '../../../src/broker/kafka/index.ts';
import { stableCommittedOffsets } from '../../../src/broker/kafka/stable-offsets.ts';
import { kafkaSingle } from '../../support/kafka.ts';

const unique = (prefix: string) => `herald-${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * Kafka answers EndTxn before it writes the transaction's markers; a plain OffsetFetch in between returns the offsets
 * from before the transaction (8 of 30 times here). Read at once after each `commitTransaction`, the stable lookup a
 * read_committed member starts from and `describeGroup` must both give the offset just committed.
 */
describe('kafka: committed offsets read right after a transaction', () => {
  it('are the transaction’s, every time', async (t) => {
    const bootstrap = await kafkaSingle(t);
    if (bootstrap === undefined) return;
    const broker = createKafkaBroker({ kind: 'kafka', bootstrap });
    t.after(() => broker.stop());
    await broker.start();
    const input = unique('in');
    const output = unique('out');
    for (const name of [input, output]) {
      await broker.admin.createTopic({ name, partitions: 1 });
      t.after(() => broker.admin.deleteTopic(name).catch(() => {}));
    }
    const group = unique('g');
    const consumer = broker.consumer({ group, topics: [input], transactionalId: unique('tx') });
    t.after(() => consumer.close());
    await consumer.start({ onRecords() {} });
    const lookup = new Consumer({ clientId: unique('lookup'), groupId: group, bootstrapBrokers: bootstrap });
    const pool = new ConnectionPool(unique('lookup'), {});
    t.after(async () => {
      await pool.close();
      await lookup.close();
    });
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
});
