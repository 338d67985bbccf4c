import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { partitionForKey } from '../../../src/broker/partitioner.ts';
import { openBroker, range, uniqueName } from './helpers.ts';

describe('embedded broker: partitioning and group commit', () => {
  it('spreads unkeyed records round-robin, routes keys by murmur2, and honours explicit partitions', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 3 });
    const producer = broker.producer();
    const spread = await producer.send(range(6).map(() => ({ topic, value: null })));
    assert.deepEqual(spread.map((p) => p.partition).sort(), [0, 0, 1, 1, 2, 2]);
    const keys = range(20).map((i) => Buffer.from(`user-${i}`));
    const keyed = await producer.send(keys.map((key) => ({ topic, key, value: null })));
    assert.deepEqual(
      keyed.map((p) => p.partition),
      keys.map((key) => partitionForKey(key, 3)),
    );
    const [explicit] = await producer.send([{ topic, key: keys[0], partition: 2, value: null }]);
    assert.equal(explicit.partition, 2);
  });

  it('coalesces concurrent sends; each gets dense offsets in its own order', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const producers = range(4).map(() => broker.producer());
    const calls = range(200).map((i) =>
      producers[i % 4].send(range(1 + (i % 5)).map((j) => ({ topic, value: Buffer.from(`${i}:${j}`) }))),
    );
    const results = await Promise.all(calls);
    const offsets = results.flat().map((p) => p.offset);
    assert.deepEqual(
      [...offsets].sort((a, b) => a - b),
      range(offsets.length),
    );
    for (const positions of results) {
      assert.deepEqual(
        positions.map((p) => p.offset),
        range(positions.length, positions[0].offset),
      );
    }
    const stored = await broker.admin.read({ topic, partition: 0, offset: 0 }, 10_000);
    for (const [i, positions] of results.entries()) {
      positions.forEach((p, j) => {
        assert.equal(stored[p.offset].value?.toString(), `${i}:${j}`);
      });
    }
  });
});
