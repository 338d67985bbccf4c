import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutgoingRecord, TopicSpec } from '../../../src/broker/port.ts';
import { createEmbeddedBroker } from '../../../src/broker/embedded/index.ts';
import { openBroker, rejectsWithCode, tempDir, uniqueName } from './helpers.ts';

const bad = <T>(value: Record<string, unknown>) => value as unknown as T;

describe('embedded broker: argument validation', () => {
  it('rejects bad topic specs and existing names', async (t) => {
    const broker = await openBroker(t);
    const name = uniqueName('t');
    const specs: Record<string, unknown>[] = [
      { name: 'a/b', partitions: 1 },
      { name: '.', partitions: 1 },
      { name: 'x'.repeat(250), partitions: 1 },
      { name, partitions: 0 },
      { name, partitions: 10_001 },
      { name, partitions: 1.5 },
      { name, partitions: '1' },
      { name, partitions: 1, compacted: 'yes' },
      { name, partitions: 1, retentionMs: 0 },
      { name, partitions: 1, retentionBytes: -5 },
      { name, partitions: 1, replicationFactor: 0 },
      { name, partitions: 1, configs: { 'retention.ms': 5 } },
    ];
    for (const spec of specs) {
      await rejectsWithCode(() => broker.admin.createTopic(bad<TopicSpec>(spec)), 'HERALD_INVALID_ARGUMENT');
    }
    assert.deepEqual(await broker.admin.listTopics(), []);
    await broker.admin.createTopic({ name: 'x'.repeat(249), partitions: 1 });
    await broker.admin.createTopic({ name, partitions: 2 });
    await rejectsWithCode(() => broker.admin.createTopic({ name, partitions: 2 }), 'HERALD_TOPIC_EXISTS');
    await broker.admin.ensureTopic({ name, partitions: 5, compacted: true });
    const info = await broker.admin.describeTopic(name);
    assert.deepEqual([info.partitions.length, info.compacted], [2, false]);
  });

  it('rejects a bad record anywhere in a send and writes nothing of it', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    const producer = broker.producer();
    const good: OutgoingRecord = { topic, partition: 0, value: Buffer.from('ok') };
    const cases: [Record<string, unknown>, string][] = [
      [{ topic }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: 'text' }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: null, key: 'k' }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: null, headers: { a: 1 } }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: null, headers: ['a'] }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: null, timestamp: Number.POSITIVE_INFINITY }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: null, timestamp: -1 }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: null, timestamp: '5' }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: null, partition: 1.5 }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: null, partition: -1 }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: null, timestamp: 1.5 }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic, value: null, partition: 2 }, 'HERALD_PARTITION_OUT_OF_RANGE'],
      [{ topic: 42, value: null }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic: 'no such/topic', value: null }, 'HERALD_INVALID_ARGUMENT'],
      [{ topic: uniqueName('missing'), value: null }, 'HERALD_TOPIC_NOT_FOUND'],
    ];
    for (const [record, code] of cases) {
      await rejectsWithCode(
        () => producer.send([good, bad<OutgoingRecord>(record)]),
        code as 'HERALD_INVALID_ARGUMENT',
      );
    }
    await rejectsWithCode(() => producer.send(bad<OutgoingRecord[]>({})), 'HERALD_INVALID_ARGUMENT');
    await rejectsWithCode(() => producer.send([null as unknown as OutgoingRecord]), 'HERALD_INVALID_ARGUMENT');
    const info = await broker.admin.describeTopic(topic);
    assert.deepEqual(
      info.partitions.map((p) => p.latest),
      [0, 0],
    );
    assert.deepEqual(await producer.send([]), []);
  });

  it('validates consumer options at construction, and positions and limits on use', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const options: Record<string, unknown>[] = [
      { group: '', topics: [topic] },
      { group: 'g', topics: [] },
      { group: 'g', topics: ['bad name'] },
      { group: 'g', topics: [topic], startAt: 'middle' },
      { group: 'g', topics: [topic], maxBatchSize: 0 },
      { group: 'g', topics: [topic], sessionTimeoutMs: -1 },
      { group: 'g', topics: [topic], clientId: '' },
    ];
    for (const o of options) {
      assert.throws(() => broker.consumer(bad(o)), { code: 'HERALD_INVALID_ARGUMENT' }, JSON.stringify(o));
    }
    const consumer = broker.consumer({ group: uniqueName('g'), topics: [topic] });
    await rejectsWithCode(() => consumer.start(bad({})), 'HERALD_INVALID_ARGUMENT');
    await consumer.start({ onRecords() {} });
    await rejectsWithCode(() => consumer.commit([{ topic, partition: 0, offset: -1 }]), 'HERALD_INVALID_ARGUMENT');
    await rejectsWithCode(() => consumer.commit(bad({})), 'HERALD_INVALID_ARGUMENT');
    await consumer.commit([]);
    await rejectsWithCode(() => broker.admin.read({ topic, partition: 0, offset: 0 }, 0), 'HERALD_INVALID_ARGUMENT');
    await rejectsWithCode(() => broker.admin.read({ topic, partition: 0, offset: 1.5 }, 1), 'HERALD_INVALID_ARGUMENT');
    assert.deepEqual(await broker.admin.read({ topic, partition: 0, offset: 99 }, 1), []);
  });

  it('rejects a bad spec at construction', () => {
    for (const spec of [
      { dataDir: '' },
      { dataDir: 'x', durability: 'never' },
      { dataDir: 'x', cleanerIntervalMs: 0 },
    ]) {
      assert.throws(() => createEmbeddedBroker(bad({ kind: 'embedded', ...spec })), { code: 'HERALD_CONFIG_INVALID' });
    }
  });
});

describe('embedded broker: lifecycle errors', () => {
  it('is unavailable before start and closed after stop', async (t) => {
    const dataDir = tempDir(t);
    const broker = createEmbeddedBroker({ kind: 'embedded', dataDir });
    t.after(() => broker.stop());
    await rejectsWithCode(() => broker.ping(), 'HERALD_BROKER_UNAVAILABLE');
    await rejectsWithCode(() => broker.admin.listTopics(), 'HERALD_BROKER_UNAVAILABLE');
    await rejectsWithCode(() => broker.producer().send([]), 'HERALD_BROKER_UNAVAILABLE');
    await Promise.all([broker.start(), broker.start()]);
    await broker.ping();
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const producer = broker.producer();
    await Promise.all([broker.stop(), broker.stop()]);
    await rejectsWithCode(() => broker.ping(), 'HERALD_BROKER_UNAVAILABLE');
    await rejectsWithCode(() => broker.start(), 'HERALD_BROKER_CLOSED');
    await rejectsWithCode(() => broker.admin.describeTopic(topic), 'HERALD_BROKER_CLOSED');
    await rejectsWithCode(() => broker.compactNow(), 'HERALD_BROKER_CLOSED');
    await rejectsWithCode(() => producer.send([{ topic, value: null }]), 'HERALD_BROKER_CLOSED');
    await rejectsWithCode(() => broker.producer().send([{ topic, value: null }]), 'HERALD_BROKER_CLOSED');
    const late = broker.consumer({ group: 'g', topics: [topic] });
    await rejectsWithCode(() => late.start({ onRecords() {} }), 'HERALD_BROKER_CLOSED');
    await late.close();
  });
});
