import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { BatchTable } from '../../../src/broker/embedded/batch-table.ts';
import type { RecordRow } from '../../../src/broker/embedded/records.ts';
import { DB_FILE } from '../../../src/broker/embedded/store.ts';
import { openBroker, tempDir, uniqueName } from './helpers.ts';

const HOUR = 3_600_000;

/** Version 1 of the data directory's layout: every log one row per record, no log start offset. */
const V1_SCHEMA = `
CREATE TABLE topics (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, compacted INTEGER NOT NULL,
  retention_ms INTEGER, retention_bytes INTEGER, configs TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE logs (id INTEGER PRIMARY KEY AUTOINCREMENT, topic_id INTEGER NOT NULL, part INTEGER NOT NULL,
  next_offset INTEGER NOT NULL, bytes INTEGER NOT NULL, UNIQUE (topic_id, part));
CREATE TABLE group_offsets (group_id TEXT NOT NULL, log_id INTEGER NOT NULL, off INTEGER NOT NULL,
  committed_at INTEGER NOT NULL, PRIMARY KEY (group_id, log_id)) WITHOUT ROWID;
CREATE INDEX group_offsets_by_log ON group_offsets (log_id);
CREATE TABLE open_transaction_ranges (txn INTEGER NOT NULL, log_id INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL);
CREATE INDEX open_transaction_ranges_by_txn ON open_transaction_ranges (txn);
CREATE TABLE log_1 (off INTEGER PRIMARY KEY, ts INTEGER NOT NULL, k BLOB, v BLOB, h TEXT);
CREATE TABLE log_2 (off INTEGER PRIMARY KEY, ts INTEGER NOT NULL, k BLOB, v BLOB, h TEXT);
CREATE INDEX log_2_by_key ON log_2 (k, off);
INSERT INTO topics VALUES (1, 'events', 0, NULL, NULL, '{}', 0), (2, 'table', 1, NULL, NULL, '{}', 0);
INSERT INTO logs VALUES (1, 1, 0, 8, 0), (2, 2, 0, 3, 0);
PRAGMA user_version = 1;
`;

function tables(dataDir: string): Record<string, number> {
  const db = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
  try {
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'log_*'").all() as { name: string }[];
    return Object.fromEntries(names.map(({ name }) => [name, (db.prepare(`SELECT count(*) AS n FROM ${name}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

describe('embedded broker: storage layout', () => {
  it('stores one batch per send, for normal and compacted topics alike', async (t) => {
    const dataDir = tempDir(t);
    const broker = await openBroker(t, { dataDir });
    await broker.admin.createTopic({ name: 'events', partitions: 1 });
    await broker.admin.createTopic({ name: 'table', partitions: 1, compacted: true });
    const producer = broker.producer();
    await producer.send(Array.from({ length: 5 }, (_, i) => ({ topic: 'events', value: Buffer.from(`e${i}`), headers: { n: `${i}` } })));
    await producer.send(Array.from({ length: 5 }, (_, i) => ({ topic: 'table', key: Buffer.from(`k${i}`), value: Buffer.from(`t${i}`) })));
    await broker.stop();
    assert.deepEqual(tables(dataDir), { log_1: 1, log_2: 1 });
    const again = await openBroker(t, { dataDir });
    const read = await again.admin.read({ topic: 'events', partition: 0, offset: 2 }, 10);
    assert.deepEqual(
      read.map((r) => [r.offset, r.value?.toString(), r.headers]),
      [2, 3, 4].map((i) => [i, `e${i}`, { n: `${i}` }]),
    );
  });

  it('retention inside a batch moves the log start, which survives a restart', async (t) => {
    const dataDir = tempDir(t);
    const broker = await openBroker(t, { dataDir });
    const topic = uniqueName('events');
    await broker.admin.createTopic({ name: topic, partitions: 1, retentionMs: HOUR });
    const now = Date.now();
    await broker.producer().send([now - 3 * HOUR, now - 2 * HOUR, now, now].map((timestamp) => ({ topic, value: Buffer.from('x'), timestamp })));
    assert.equal(await broker.enforceRetentionNow(topic), 2);
    await broker.stop();
    const again = await openBroker(t, { dataDir });
    assert.deepEqual((await again.admin.describeTopic(topic)).partitions[0], { partition: 0, earliest: 2, latest: 4 });
    assert.deepEqual((await again.admin.read({ topic, partition: 0, offset: 0 }, 10)).map((r) => r.offset), [2, 3]);
  });

  it('brings a version-1 data directory to batches, keeping records, headers, offsets and the log start', async (t) => {
    const dataDir = tempDir(t);
    const db = new DatabaseSync(path.join(dataDir, DB_FILE));
    db.exec(V1_SCHEMA);
    const insert = db.prepare('INSERT INTO log_1 VALUES (?, ?, ?, ?, ?)');
    // Offsets 0–2 were deleted by retention before the upgrade.
    for (let off = 3; off < 8; off++) insert.run(off, 1_000 + off, null, Buffer.from(`v${off}`), off === 4 ? '{"trace":"t-4"}' : null);
    const row = db.prepare('INSERT INTO log_2 VALUES (?, ?, ?, ?, ?)');
    row.run(0, 1, Buffer.from('a'), Buffer.from('1'), null);
    row.run(2, 1, Buffer.from('b'), Buffer.from('2'), null);
    db.close();

    const broker = await openBroker(t, { dataDir });
    const events = await broker.admin.read({ topic: 'events', partition: 0, offset: 0 }, 10);
    assert.deepEqual(
      events.map((r) => [r.offset, r.timestamp, r.value?.toString(), r.headers]),
      [3, 4, 5, 6, 7].map((off) => [off, 1_000 + off, `v${off}`, off === 4 ? { trace: 't-4' } : {}]),
    );
    assert.deepEqual((await broker.admin.describeTopic('events')).partitions[0], { partition: 0, earliest: 3, latest: 8 });
    const [next] = await broker.producer().send([{ topic: 'events', value: Buffer.from('v8') }]);
    assert.equal(next.offset, 8);
    const table = await broker.admin.read({ topic: 'table', partition: 0, offset: 0 }, 10);
    assert.deepEqual(table.map((r) => [r.offset, r.key?.toString()]), [[0, 'a'], [2, 'b']]);
    await broker.stop();
    assert.deepEqual(tables(dataDir), { log_1: 2, log_2: 1 });
  });

  it('brings a version-2 data directory to batches for its compacted topics, keeping gaps, headers and bytes', async (t) => {
    const dataDir = tempDir(t);
    const db = new DatabaseSync(path.join(dataDir, DB_FILE));
    db.exec(V1_SCHEMA.replace('PRAGMA user_version = 1;', 'PRAGMA user_version = 2;'));
    db.exec('ALTER TABLE logs ADD COLUMN start_offset INTEGER NOT NULL DEFAULT 0');
    db.exec(`DROP TABLE log_1; CREATE TABLE log_1 (last INTEGER PRIMARY KEY, first INTEGER NOT NULL, ts INTEGER NOT NULL,
      size INTEGER NOT NULL, b BLOB NOT NULL)`);
    new BatchTable(db, 'log_1').insert([[0, 5, null, Buffer.from('e0'), null]], 0, 1, 2);
    db.exec('UPDATE logs SET next_offset = 1, bytes = 2 WHERE id = 1');
    const row = db.prepare('INSERT INTO log_2 VALUES (?, ?, ?, ?, ?)');
    // Offset 1 was compacted away; 2 is a tombstone.
    row.run(0, 1, Buffer.from('a'), Buffer.from('1'), '{"h":"x"}');
    row.run(2, 2, Buffer.from('b'), null, null);
    db.close();

    const broker = await openBroker(t, { dataDir });
    const table = await broker.admin.read({ topic: 'table', partition: 0, offset: 0 }, 10);
    assert.deepEqual(
      table.map((r) => [r.offset, r.key?.toString(), r.value?.toString() ?? null, r.headers]),
      [
        [0, 'a', '1', { h: 'x' }],
        [2, 'b', null, {}],
      ],
    );
    const events = await broker.admin.read({ topic: 'events', partition: 0, offset: 0 }, 10);
    assert.deepEqual(events.map((r) => r.value?.toString()), ['e0']);
    assert.equal((await broker.admin.describeTopic('table')).partitions[0].latest, 3);
    await broker.stop();
    assert.deepEqual(tables(dataDir), { log_1: 1, log_2: 1 });
    const after = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
    t.after(() => after.close());
    assert.deepEqual({ ...after.prepare('SELECT bytes FROM logs WHERE id = 2').get() }, { bytes: 1 + 1 + 2 + 1 });
  });

  it('filtering a batch keeps its last offset, so the offsets removed at its end stay covered', () => {
    const db = new DatabaseSync(':memory:');
    BatchTable.create(db, 'log_9');
    const table = new BatchTable(db, 'log_9');
    const rows: RecordRow[] = Array.from({ length: 6 }, (_, i) => [i, i, Buffer.from([i % 2]), Buffer.from([i]), null]);
    table.insert(rows, 0, 6, 12);
    assert.deepEqual(table.filter(5, (row) => row[0] < 4 && row[0] !== 1), [3, 6]);
    assert.deepEqual([...table.entries(0)].map(([last, first]) => [last, first]), [[5, 0]]);
    assert.deepEqual(table.read(0, 100).map((r) => r[0]), [0, 2, 3]);
    assert.deepEqual(table.filter(5, () => true), [0, 0]);
    assert.deepEqual(table.filter(5, () => false), [3, 6]);
    assert.deepEqual([...table.entries(0)], []);
    assert.deepEqual(table.filter(5, () => false), [0, 0]);
  });

  it('deleting offsets from inside a batch stores the records around them again', () => {
    const db = new DatabaseSync(':memory:');
    BatchTable.create(db, 'log_9');
    const table = new BatchTable(db, 'log_9');
    const rows: RecordRow[] = Array.from({ length: 10 }, (_, i) => [i, i, null, Buffer.from([i]), null]);
    table.insert(rows, 0, 10, 10);
    assert.equal(table.deleteRange(3, 5), 3);
    assert.deepEqual(table.read(0, 100).map((r) => r[0]), [0, 1, 2, 6, 7, 8, 9]);
    assert.equal([...table.entries(0)].length, 2);
    assert.equal(table.deleteRange(0, 9), 7);
    assert.deepEqual(table.read(0, 100), []);
    assert.equal(table.firstFrom(0), undefined);
  });
});
