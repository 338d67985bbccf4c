import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { createEmbeddedBroker } from '../../../src/broker/embedded/index.ts';
import { PartitionLog } from '../../../src/broker/embedded/partition-log.ts';
import { DB_FILE } from '../../../src/broker/embedded/store.ts';
import { openBroker, rejectsWithCode, tempDir, uniqueName } from './helpers.ts';

describe('embedded broker: storage failures', () => {
  it('rejects every send of a failed group commit with a retriable error and writes none of it', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    const producer = broker.producer();
    await producer.send([{ topic, partition: 0, value: Buffer.from('before') }]);
    const insert = PartitionLog.prototype.insert;
    PartitionLog.prototype.insert = function (this: PartitionLog, rows, start, end, size) {
      // Fails after the first partition's rows went in, to check the transaction rolls back as a whole.
      if (this.partition === 1) throw new Error('disk full');
      return insert.call(this, rows, start, end, size);
    };
    try {
      const sends = [
        producer.send([{ topic, partition: 0, value: Buffer.from('a') }]),
        producer.send([{ topic, partition: 1, value: Buffer.from('b') }]),
      ];
      for (const send of sends) {
        const err = await rejectsWithCode(() => send, 'HERALD_STORAGE_FAILED');
        assert.equal(err.retriable, true);
      }
    } finally {
      PartitionLog.prototype.insert = insert;
    }
    const info = await broker.admin.describeTopic(topic);
    assert.deepEqual(
      info.partitions.map((p) => p.latest),
      [1, 0],
    );
    const [next] = await producer.send([{ topic, partition: 0, value: Buffer.from('after') }]);
    assert.equal(next.offset, 1);
    const stored = await broker.admin.read({ topic, partition: 0, offset: 0 }, 10);
    assert.deepEqual(
      stored.map((r) => r.value?.toString()),
      ['before', 'after'],
    );
  });

  it('rejects a queued send whose topic is deleted before the commit', async (t) => {
    const broker = await openBroker(t);
    const topic = uniqueName('t');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const send = broker.producer().send([{ topic, value: null }]);
    await broker.admin.deleteTopic(topic);
    await rejectsWithCode(() => send, 'HERALD_TOPIC_NOT_FOUND');
  });

  it('refuses a data directory written by a newer schema', async (t) => {
    const dataDir = tempDir(t);
    const db = new DatabaseSync(path.join(dataDir, DB_FILE));
    db.exec('PRAGMA user_version = 99');
    db.close();
    const broker = createEmbeddedBroker({ kind: 'embedded', dataDir });
    t.after(() => broker.stop());
    const err = await rejectsWithCode(() => broker.start(), 'HERALD_STORAGE_FAILED');
    assert.match(err.message, /newer/);
  });
});
