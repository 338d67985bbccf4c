import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collector, eventually, openBroker, range, uniqueName, waitFor } from './helpers.ts';

const HOUR = 3_600_000;

describe('embedded broker: retention', () => {
  it('drops the prefix older than retentionMs; earliest moves forward', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('events');
    await broker.admin.createTopic({ name: topic, partitions: 1, retentionMs: HOUR });
    const now = Date.now();
    // Old, old, new, old, new: only the leading run of old records goes (whole-prefix rule, as Kafka's segments).
    const stamps = [now - 3 * HOUR, now - 2 * HOUR, now, now - 2 * HOUR, now];
    await broker.producer().send(stamps.map((timestamp, i) => ({ topic, value: Buffer.from(`${i}`), timestamp })));
    assert.equal(await broker.enforceRetentionNow(topic), 2);
    const [info] = (await broker.admin.describeTopic(topic)).partitions;
    assert.deepEqual(info, { partition: 0, earliest: 2, latest: 5 });
    const read = await broker.admin.read({ topic, partition: 0, offset: 0 }, 10);
    assert.deepEqual(
      read.map((r) => r.offset),
      [2, 3, 4],
    );
  });

  it('drops the oldest records while a partition holds more than retentionBytes', async (t) => {
    const broker = await openBroker(t, { cleanerChunkSize: 7 });
    const topic = uniqueName('events');
    await broker.admin.createTopic({ name: topic, partitions: 2, retentionBytes: 1_000 });
    const producer = broker.producer();
    for (const call of range(5)) {
      await producer.send(range(20).map((i) => ({ topic, partition: 0, value: Buffer.alloc(100, call * 20 + i) })));
    }
    await producer.send([{ topic, partition: 1, value: Buffer.alloc(100) }]);
    assert.equal(await broker.enforceRetentionNow(), 90);
    const [p0, p1] = (await broker.admin.describeTopic(topic)).partitions;
    assert.deepEqual(p0, { partition: 0, earliest: 90, latest: 100 });
    assert.deepEqual(p1, { partition: 1, earliest: 0, latest: 1 });
    // A new group starts at the earliest record kept.
    const listener = collector();
    await broker.consumer({ group: uniqueName('g'), topics: [topic] }).start(listener);
    await waitFor(() => listener.records.length === 11, 'the kept records');
    assert.deepEqual(
      listener.records.filter((r) => r.partition === 0).map((r) => r.offset),
      range(10, 90),
    );
  });

  it('an empty partition has earliest = latest, and offsets continue after it', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('events');
    await broker.admin.createTopic({ name: topic, partitions: 1, retentionMs: 1 });
    await broker.producer().send(range(3).map(() => ({ topic, value: Buffer.from('x'), timestamp: 0 })));
    await broker.enforceRetentionNow(topic);
    assert.deepEqual((await broker.admin.describeTopic(topic)).partitions[0], { partition: 0, earliest: 3, latest: 3 });
    const [next] = await broker.producer().send([{ topic, value: Buffer.from('y') }]);
    assert.equal(next.offset, 3);
  });

  it('is applied in the background on the cleaner interval; configs work like the spec fields', async (t) => {
    const broker = await openBroker(t, { cleanerIntervalMs: 20 });
    const topic = uniqueName('events');
    await broker.admin.createTopic({ name: topic, partitions: 1, configs: { 'retention.ms': String(HOUR) } });
    await broker.producer().send([
      { topic, value: Buffer.from('old'), timestamp: Date.now() - 2 * HOUR },
      { topic, value: Buffer.from('new') },
    ]);
    await eventually(
      async () => (await broker.admin.describeTopic(topic)).partitions[0].earliest === 1,
      'background retention',
    );
  });

  it('leaves topics without retention alone', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('events');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    await broker.producer().send([{ topic, value: Buffer.from('ancient'), timestamp: 0 }]);
    assert.equal(await broker.enforceRetentionNow(topic), 0);
  });
});
