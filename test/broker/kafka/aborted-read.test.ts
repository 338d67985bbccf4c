/**
 * read_committed on a real Kafka when one producer id aborts, commits, aborts again and commits (a transactional
 * producer restarted after crashes keeps its producer id with new epochs): every committed transaction is read, by
 * `Admin.read` and by a group consumer alike. The library's own filter of aborted transactions dropped the
 * committed ones between two abort markers of the same producer; Herald reads past it (`unfiltered-fetch.ts`).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ProduceAcks, Producer } from '@platformatic/kafka';
import { createKafkaBroker } from '../../../src/broker/kafka/index.ts';
import type { BrokerRecord } from '../../../src/broker/port.ts';
import { kafkaSingle } from '../../support/kafka.ts';

const unique = (prefix: string) => `herald-${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;

describe('kafka adapter: read_committed across aborts of one producer id', { timeout: 60_000 }, () => {
  it('reads every committed transaction between abort markers of the same producer', async (t) => {
    const bootstrap = await kafkaSingle(t);
    if (bootstrap === undefined) return;
    const broker = createKafkaBroker({ kind: 'kafka', bootstrap });
    t.after(() => broker.stop());
    await broker.start();
    const topic = unique('aborts');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    t.after(() => broker.admin.deleteTopic(topic).catch(() => {}));

    const producer = new Producer({
      clientId: 'aborted-read-test',
      bootstrapBrokers: bootstrap,
      transactionalId: unique('tx'),
      idempotent: true,
      acks: ProduceAcks.ALL,
      producerId: -1n,
      producerEpoch: -1,
    });
    t.after(() => producer.close());
    // `e*` add the partition to the transaction and write nothing to it: the abort leaves a marker that no entry of
    // the broker's aborted-transaction list accounts for (what a producer killed before its first send leaves).
    const plan: [string, 'commit' | 'abort' | 'empty-abort'][] = [
      ['c1', 'commit'], ['a2', 'abort'], ['c3', 'commit'], ['c4', 'commit'], ['e5', 'empty-abort'], ['c6', 'commit'],
    ];
    const metadata = await producer.metadata({ topics: [topic] });
    for (const [name, ending] of plan) {
      const transaction = await producer.beginTransaction();
      const messages = [0, 1, 2].map((i) => ({ topic, partition: 0, value: Buffer.from(`${name}-${i}`) }));
      if (ending === 'empty-abort') await transaction.addPartitions(metadata, messages);
      else await transaction.send({ messages });
      await (ending === 'commit' ? transaction.commit() : transaction.abort());
    }
    const expected = ['c1', 'c3', 'c4', 'c6'].flatMap((name) => [0, 1, 2].map((i) => `${name}-${i}`));

    const read = await broker.admin.read({ topic, partition: 0, offset: 0 }, 100);
    assert.deepEqual(read.map((r) => r.value?.toString()), expected, 'Admin.read');

    const consumed: BrokerRecord[] = [];
    const consumer = broker.consumer({ group: unique('g'), topics: [topic], isolation: 'read_committed' });
    t.after(() => consumer.close());
    await consumer.start({ onRecords: async (records) => void consumed.push(...records) });
    const deadline = Date.now() + 20_000;
    while (consumed.length < expected.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(consumed.map((r) => r.value?.toString()), expected, 'a read_committed group consumer');
  });
});
