/** Topics with thousands of partitions are created and deleted without holding the event loop, and crash-safely. */
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createEmbeddedBroker } from '../../../src/broker/embedded/index.ts';
import { DB_FILE } from '../../../src/broker/embedded/store.ts';
import { eventually, openBroker, rejectsWithCode, tempDir } from './helpers.ts';

/** Counts event-loop turns while `work` runs: a change that holds the loop throughout sees none. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    await work();
  } finally {
    running = false;
  }
  return turns;
}

function logTables(dataDir: string): number {
  const db = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name GLOB 'log_[0-9]*'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('embedded broker: big topics', { timeout: 120_000 }, () => {
  it('creates and deletes 3,000 partitions in slices, the event loop turning meanwhile', async (t) => {
    const broker = await openBroker(t);
    const created = await turnsDuring(() => broker.admin.createTopic({ name: 'wide', partitions: 3_000 }));
    assert.ok(created > 3, `${created} turns during creation`);
    const info = await broker.admin.describeTopic('wide');
    assert.equal(info.partitions.length, 3_000);
    await broker.producer().send([{ topic: 'wide', partition: 2_999, value: Buffer.from('x') }]);
    const deleted = await turnsDuring(() => broker.admin.deleteTopic('wide'));
    assert.ok(deleted > 3, `${deleted} turns during deletion`);
    await rejectsWithCode(() => broker.admin.describeTopic('wide'), 'HERALD_TOPIC_NOT_FOUND');
  });

  it('runs concurrent creations one at a time: one topic of a name, each with tables of its own', async (t) => {
    const broker = await openBroker(t);
    const results = await Promise.allSettled([
      broker.admin.createTopic({ name: 'same', partitions: 50 }),
      broker.admin.createTopic({ name: 'same', partitions: 50 }),
      broker.admin.createTopic({ name: 'other', partitions: 50 }),
      broker.admin.ensureTopic({ name: 'same', partitions: 50 }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.equal((results[1] as PromiseRejectedResult).reason.code, 'HERALD_TOPIC_EXISTS');
    await broker.producer().send([
      { topic: 'same', partition: 49, value: Buffer.from('a') },
      { topic: 'other', partition: 49, value: Buffer.from('b') },
    ]);
    const [same] = await broker.admin.read({ topic: 'same', partition: 49, offset: 0 }, 10);
    assert.equal(same.value?.toString(), 'a');
  });

  it('drops at start the tables a crash left unnamed', async (t) => {
    const dataDir = tempDir(t);
    const first = createEmbeddedBroker({ kind: 'embedded', dataDir });
    await first.start();
    await first.admin.createTopic({ name: 'kept', partitions: 2 });
    await first.stop();
    // What a crash midway through creating a topic leaves: tables beyond every id the catalog gave out.
    const db = new DatabaseSync(path.join(dataDir, DB_FILE));
    for (const id of [40, 41, 42]) db.exec(`CREATE TABLE log_${id} (off INTEGER PRIMARY KEY, ts INTEGER NOT NULL, k BLOB, v BLOB, h TEXT)`);
    db.close();
    assert.equal(logTables(dataDir), 5);

    const second = await openBroker(t, { dataDir });
    await second.admin.createTopic({ name: 'after', partitions: 3 });
    await second.producer().send([{ topic: 'after', partition: 0, value: Buffer.from('new') }]);
    await second.stop();
    assert.equal(logTables(dataDir), 5, 'the orphans went, the new topic has three');

    const third = await openBroker(t, { dataDir });
    assert.deepEqual((await third.admin.listTopics()).map((topic) => topic.name), ['after', 'kept']);
    await eventually(async () => (await third.admin.read({ topic: 'after', partition: 0, offset: 0 }, 1)).length === 1, 'record');
  });
});
