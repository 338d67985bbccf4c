import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrokerRecord, TopicPartition } from '../../../src/broker/port.ts';
import { PartitionLog } from '../../../src/broker/embedded/partition-log.ts';
import { collector, openBroker, range, rejectsWithCode, sleep, uniqueName, waitFor } from './helpers.ts';

const parts = (tps: TopicPartition[]) => tps.map((tp) => tp.partition);

describe('embedded broker: consumer groups', () => {
  it('deals partitions round-robin in join order and revokes before the new owner is assigned', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    const group = uniqueName('g');
    await broker.admin.createTopic({ name: topic, partitions: 4 });
    const events: string[] = [];
    const member = (name: string) =>
      broker.consumer({ group, topics: [topic], clientId: name }).start({
        onRecords() {},
        async onAssigned(tps) {
          events.push(`${name} assigned ${parts(tps)}`);
        },
        async onRevoked(tps) {
          events.push(`${name} revoking ${parts(tps)}`);
          await sleep(30);
          events.push(`${name} revoked ${parts(tps)}`);
        },
      });
    await member('a');
    await member('b');
    assert.deepEqual(events, ['a assigned 0,1,2,3', 'a revoking 1,3', 'a revoked 1,3', 'b assigned 1,3']);
    const info = await broker.admin.describeGroup(group);
    assert.deepEqual(
      info.members.map((m) => [m.clientId, parts(m.assignment)]),
      [
        ['a', [0, 2]],
        ['b', [1, 3]],
      ],
    );
  });

  it('a new owner resumes at offsets committed in onRevoked and gets uncommitted records again', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    const group = uniqueName('g');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    await broker
      .producer()
      .send(range(2).flatMap((partition) => range(10).map(() => ({ topic, partition, value: null }))));
    const a = broker.consumer({ group, topics: [topic] });
    const got = collector({
      // Commits only partition 0, and only half of it.
      async onRevoked(tps) {
        if (tps.some((tp) => tp.partition === 0)) await a.commit([{ topic, partition: 0, offset: 5 }]);
      },
    });
    await a.start(got);
    await waitFor(() => got.records.length === 20, 'all records at a');
    await a.close();
    const b = collector();
    await broker.consumer({ group, topics: [topic] }).start(b);
    await waitFor(() => b.records.length === 15, 'redelivery at b');
    assert.deepEqual(
      b.records.map((r) => `${r.partition}:${r.offset}`).sort(),
      [...range(5, 5).map((o) => `0:${o}`), ...range(10).map((o) => `1:${o}`)].sort(),
    );
  });

  it('hands a partition its next batch only after the previous one settled, other partitions flowing', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batches: BrokerRecord[][] = [];
    await broker.consumer({ group: uniqueName('g'), topics: [topic], maxBatchSize: 3 }).start({
      async onRecords(records) {
        batches.push(records);
        if (records[0].partition === 0) await gate;
      },
    });
    await broker.producer().send(range(6).map(() => ({ topic, partition: 0, value: null })));
    await waitFor(() => batches.length === 1, 'the first batch of partition 0');
    await broker.producer().send(range(7).map(() => ({ topic, partition: 1, value: null })));
    await waitFor(() => batches.length === 4, 'partition 1 to flow');
    assert.deepEqual(
      batches.map((b) => [b[0].partition, b.length]),
      [
        [0, 3],
        [1, 3],
        [1, 3],
        [1, 1],
      ],
    );
    release();
    await waitFor(() => batches.length === 5, 'the second batch of partition 0');
    assert.deepEqual(
      batches[4].map((r) => r.offset),
      [3, 4, 5],
    );
  });

  it('a batch that throws is not handed over again and later batches still come', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const seen: number[] = [];
    await broker.consumer({ group: uniqueName('g'), topics: [topic], maxBatchSize: 2 }).start({
      onRecords(records) {
        seen.push(...records.map((r) => r.offset));
        if (records[0].offset === 0) throw new Error('handler failed');
      },
    });
    await broker.producer().send(range(4).map(() => ({ topic, value: null })));
    await waitFor(() => seen.length === 4, 'all four records');
    await sleep(20);
    assert.deepEqual(seen, [0, 1, 2, 3]);
  });

  it('removes a member that does not release its partitions within sessionTimeoutMs; it rejoins later', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    const group = uniqueName('g');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    let unblock: () => void = () => {};
    const stuck = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    const a = broker.consumer({ group, topics: [topic], sessionTimeoutMs: 50, clientId: 'a' });
    await a.start({ onRecords() {}, onRevoked: () => stuck });
    const b = broker.consumer({ group, topics: [topic], clientId: 'b' });
    await b.start({ onRecords() {} });
    assert.deepEqual(parts(b.assignment()), [0, 1]);
    assert.deepEqual(a.assignment(), []);
    await rejectsWithCode(() => a.commit([{ topic, partition: 0, offset: 0 }]), 'HERALD_NOT_ASSIGNED');
    unblock();
    await waitFor(() => a.assignment().length === 1 && b.assignment().length === 1, 'a to rejoin');
  });

  it('close() called from inside onRecords does not wait on itself', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    await broker.producer().send([{ topic, value: null }]);
    const consumer = broker.consumer({ group: uniqueName('g'), topics: [topic] });
    let closed = false;
    await consumer.start({
      async onRecords() {
        await consumer.close();
        closed = true;
      },
    });
    await waitFor(() => closed, 'close from inside onRecords');
    assert.deepEqual(consumer.assignment(), []);
  });

  it('follows its topics being deleted and created again', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    const revoked: number[][] = [];
    const got = collector({ onRevoked: (tps) => void revoked.push(parts(tps)) });
    const consumer = broker.consumer({ group: uniqueName('g'), topics: [topic] });
    await consumer.start(got);
    await broker.admin.deleteTopic(topic);
    await waitFor(() => revoked.length === 1, 'revocation of the deleted topic');
    assert.deepEqual(revoked, [[0, 1]]);
    await broker.admin.createTopic({ name: topic, partitions: 3 });
    await waitFor(() => consumer.assignment().length === 3, 'assignment of the new topic');
    await broker.producer().send([{ topic, partition: 2, value: Buffer.from('new') }]);
    await waitFor(() => got.records.length === 1, 'a record of the new topic');
  });

  it('describes groups with lag, lists groups with members or commits, and rejects misuse', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    const group = uniqueName('g');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    await rejectsWithCode(
      () => broker.consumer({ group, topics: [uniqueName('missing')] }).start({ onRecords() {} }),
      'HERALD_TOPIC_NOT_FOUND',
    );
    await broker.producer().send(range(5).map(() => ({ topic, partition: 1, value: null })));
    const consumer = broker.consumer({ group, topics: [topic] });
    const got = collector();
    await consumer.start(got);
    await rejectsWithCode(() => consumer.start(got), 'HERALD_INVALID_ARGUMENT');
    await waitFor(() => got.records.length === 5, 'five records');
    await consumer.commit([{ topic, partition: 1, offset: 2 }]);
    assert.ok((await broker.admin.listGroups()).includes(group));
    const info = await broker.admin.describeGroup(group);
    assert.deepEqual(
      info.offsets.map((o) => [o.partition, o.committed, o.latest, o.lag]),
      [
        [0, null, 0, 0],
        [1, 2, 5, 3],
      ],
    );
    assert.throws(() => consumer.seek({ topic, partition: 7, offset: 0 }), { code: 'HERALD_PARTITION_OUT_OF_RANGE' });
    assert.throws(() => consumer.seek({ topic, partition: 0, offset: -1 }), { code: 'HERALD_INVALID_ARGUMENT' });
    await consumer.close();
    // Still listed and described: it has a commit.
    assert.ok((await broker.admin.listGroups()).includes(group));
    assert.deepEqual((await broker.admin.describeGroup(group)).members, []);
  });

  it('waits for new records without polling, and survives a failed read', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const read = PartitionLog.prototype.read;
    let reads = 0;
    let failNext = false;
    PartitionLog.prototype.read = function (this: PartitionLog, from: number, limit: number) {
      reads++;
      if (failNext) {
        failNext = false;
        throw new Error('disk went away');
      }
      return read.call(this, from, limit);
    };
    t.after(() => {
      PartitionLog.prototype.read = read;
    });
    const got = collector();
    await broker.consumer({ group: uniqueName('g'), topics: [topic] }).start(got);
    await broker.producer().send([{ topic, value: Buffer.from('one') }]);
    await waitFor(() => got.records.length === 1, 'the first record');
    const before = reads;
    await sleep(100);
    assert.equal(reads, before, 'an idle consumer kept reading');
    failNext = true;
    await broker.producer().send([{ topic, value: Buffer.from('two') }]);
    await waitFor(() => got.records.length === 2, 'the record after the failed read');
    assert.equal(reads, before + 2);
  });
});
