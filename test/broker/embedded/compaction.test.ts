import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EmbeddedBroker } from '../../../src/broker/embedded/index.ts';
import {
  eventually,
  openBroker,
  range,
  rejectsWithCode,
  sleep,
  tempDir,
  text,
  uniqueName,
  waitFor,
} from './helpers.ts';

const b = (s: string) => Buffer.from(s);

async function stored(
  broker: EmbeddedBroker,
  topic: string,
  partition = 0,
): Promise<[number, string, string | null][]> {
  const records = await broker.admin.read({ topic, partition, offset: 0 }, 10_000);
  return records.map((r) => [r.offset, text(r.key)!, text(r.value)]);
}

describe('embedded broker: compacted topics', () => {
  it('rejects records without a key and writes nothing of the call', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('table');
    await broker.admin.createTopic({ name: topic, partitions: 1, compacted: true });
    await rejectsWithCode(
      () =>
        broker.producer().send([
          { topic, key: b('k'), value: b('v') },
          { topic, value: b('no key') },
        ]),
      'HERALD_INVALID_ARGUMENT',
    );
    assert.deepEqual((await broker.admin.describeTopic(topic)).partitions[0].latest, 0);
  });

  it('keeps the newest record per key at its offset, across passes and chunks', async (t) => {
    // A tiny chunk size makes every pass take many steps.
    const broker = await openBroker(t, { cleanerChunkSize: 3, deleteRetentionMs: 0 });
    const topic = uniqueName('table');
    await broker.admin.createTopic({ name: topic, partitions: 2, compacted: true });
    const producer = broker.producer();
    const model = new Map<string, { offset: number; value: string | null }>();
    for (const round of range(4)) {
      const records = range(25).map((i) => {
        const key = `k${(i * 7 + round) % 11}`;
        const value = (i + round) % 9 === 0 ? null : `${key}-${round}-${i}`;
        return { topic, partition: 0, key: b(key), value: value === null ? null : b(value) };
      });
      const positions = await producer.send(records);
      records.forEach((r, i) => {
        model.set(text(r.key)!, { offset: positions[i].offset, value: text(r.value) });
      });
      await broker.compactNow(topic);
      const expected = [...model.entries()]
        .filter(([, v]) => v.value !== null)
        .map(([key, v]) => [v.offset, key, v.value] as [number, string, string | null])
        .sort((x, y) => x[0] - y[0]);
      assert.deepEqual(await stored(broker, topic), expected, `after round ${round}`);
    }
    assert.equal((await broker.admin.describeTopic(topic)).partitions[0].latest, 100);
  });

  it('keeps a tombstone for the delete retention, then removes it', async (t) => {
    const broker = await openBroker(t, { deleteRetentionMs: 60_000 });
    const topic = uniqueName('table');
    const quick = uniqueName('quick');
    await broker.admin.createTopic({ name: topic, partitions: 1, compacted: true });
    await broker.admin.createTopic({
      name: quick,
      partitions: 1,
      compacted: true,
      configs: { 'delete.retention.ms': '50' },
    });
    for (const name of [topic, quick]) {
      await broker.producer().send([
        { topic: name, key: b('a'), value: b('1') },
        { topic: name, key: b('a'), value: null },
        { topic: name, key: b('b'), value: b('2') },
      ]);
    }
    await broker.compactNow();
    assert.deepEqual(await stored(broker, topic), [
      [1, 'a', null],
      [2, 'b', '2'],
    ]);
    assert.deepEqual(await stored(broker, quick), [
      [1, 'a', null],
      [2, 'b', '2'],
    ]);
    await sleep(60);
    await broker.compactNow();
    assert.deepEqual(await stored(broker, quick), [[2, 'b', '2']]);
    assert.deepEqual(await stored(broker, topic), [
      [1, 'a', null],
      [2, 'b', '2'],
    ]);
  });

  it('compacts in the background on the cleaner interval', async (t) => {
    const broker = await openBroker(t, { cleanerIntervalMs: 20, deleteRetentionMs: 0 });
    const topic = uniqueName('table');
    await broker.admin.createTopic({ name: topic, partitions: 1, compacted: true });
    await broker.producer().send(range(10).map((i) => ({ topic, key: b('same'), value: b(`${i}`) })));
    await eventually(async () => (await stored(broker, topic)).length === 1, 'background compaction');
    assert.deepEqual(await stored(broker, topic), [[9, 'same', '9']]);
  });

  it('compacts in the background only once the records written since the last pass are half of the partition', async (t) => {
    const broker = await openBroker(t, { cleanerIntervalMs: 10, deleteRetentionMs: 0 });
    const topic = uniqueName('table');
    await broker.admin.createTopic({ name: topic, partitions: 1, compacted: true });
    await broker.producer().send(range(10).map((i) => ({ topic, key: b(`k${i}`), value: b('0') })));
    await broker.compactNow(topic);
    await broker.producer().send(range(2).map((i) => ({ topic, key: b('k0'), value: b(`${i + 1}`) })));
    await sleep(100);
    assert.equal((await stored(broker, topic)).length, 12, '2 new records against 10 kept: not due');
    await broker.producer().send(range(10).map((i) => ({ topic, key: b('k0'), value: b(`${i + 3}`) })));
    await eventually(async () => (await stored(broker, topic)).length === 10, 'background compaction once due');
    assert.deepEqual((await stored(broker, topic))[9], [21, 'k0', '12']);
  });

  it('compacts correctly after a restart (progress is rebuilt) and while consumers read', async (t) => {
    const dataDir = tempDir(t);
    const topic = uniqueName('table');
    const first = await openBroker(t, { dataDir, deleteRetentionMs: 0 });
    await first.admin.createTopic({ name: topic, partitions: 1, compacted: true });
    await first.producer().send(range(6).map((i) => ({ topic, key: b(`k${i % 2}`), value: b(`${i}`) })));
    await first.compactNow(topic);
    await first.stop();
    const second = await openBroker(t, { dataDir, deleteRetentionMs: 0 });
    await second.producer().send([{ topic, key: b('k0'), value: b('6') }]);
    assert.equal(await second.compactNow(topic), 1);
    assert.deepEqual(await stored(second, topic), [
      [5, 'k1', '5'],
      [6, 'k0', '6'],
    ]);
    const seen: number[] = [];
    await second.consumer({ group: uniqueName('g'), topics: [topic] }).start({
      onRecords: (records) => {
        seen.push(...records.map((r) => r.offset));
      },
    });
    await waitFor(() => seen.length === 2, 'the two survivors');
    assert.deepEqual(seen, [5, 6]);
  });

  it('compactNow of an unknown topic is rejected', async (t) => {
    const broker = await openBroker(t);
    await rejectsWithCode(() => broker.compactNow(uniqueName('missing')), 'HERALD_TOPIC_NOT_FOUND');
  });
});
