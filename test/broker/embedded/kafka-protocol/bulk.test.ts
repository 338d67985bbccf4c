import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { BULK_FILE, BULK_MIN_BYTES } from '../../../../src/broker/embedded/bulk-store.ts';
import { createEmbeddedBroker } from '../../../../src/broker/embedded/index.ts';
import { decodeBatches } from '../../../../src/broker/embedded/kafka-protocol/records/batch.ts';
import type { PartitionLog } from '../../../../src/broker/embedded/partition-log.ts';
import { keptInBulk } from '../../../../src/broker/embedded/pending-log.ts';
import { Notifier } from '../../../../src/broker/embedded/notifier.ts';
import { CommittedOffsets } from '../../../../src/broker/embedded/offsets.ts';
import { DB_FILE, Store } from '../../../../src/broker/embedded/store.ts';
import { TopicRegistry } from '../../../../src/broker/embedded/topics.ts';
import { Writer } from '../../../../src/broker/embedded/writer.ts';
import { KafkaError } from '../../../../src/broker/embedded/kafka-protocol/wire/errors.ts';
import { crashValue } from '../fixtures/crash-records.ts';
import { eventually, NODE, openBroker, ROOT, tempDir, uniqueName, waitFor } from '../helpers.ts';
import { batch, fetchBody, produceBody, type TestRecord } from './batches.ts';
import { captureLogs, type ListeningBroker, listening } from './helpers.ts';
import { ApiKey, type RawClient } from './raw-client.ts';

const FIXTURE = path.join(import.meta.dirname, '../fixtures/crash-kafka-producer.ts');

/** `count` records of 1,000-byte values `<tag>-<i>-…`, with a header on each when `headers`. */
function records(tag: string, count: number, headers = false): TestRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `${tag}-${i}`,
    value: `${tag}-${i}-`.padEnd(1_000, 'x'),
    headers: headers ? [['n', `${i}`]] : undefined,
  }));
}

async function produce(client: RawClient, topic: string, sent: Buffer): Promise<number> {
  const answer = await client.request(ApiKey.Produce, 9, produceBody(topic, 0, sent));
  const p = answer.responses[0].partitionResponses[0];
  assert.equal(p.errorCode, KafkaError.NONE, `produce error ${p.errorCode}`);
  return Number(p.baseOffset);
}

/** Per row of the partition's table in herald.db: [last offset, length of its own bytes]; and the bulk rows' last offsets. */
function stored(dataDir: string, logId: number): { rows: [number, number][]; bulk: number[] } {
  const db = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
  const bulkDb = new DatabaseSync(path.join(dataDir, BULK_FILE), { readOnly: true });
  try {
    const rows = db.prepare(`SELECT last, length(b) AS n FROM log_${logId} ORDER BY last`).all() as { last: number; n: number }[];
    const hasBulk = bulkDb.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = ?").get(`log_${logId}`) as { n: number };
    const bulk =
      hasBulk.n === 0 ? [] : (bulkDb.prepare(`SELECT last FROM log_${logId} ORDER BY last`).all() as { last: number }[]).map((r) => r.last);
    return { rows: rows.map((r) => [r.last, r.n]), bulk };
  } finally {
    db.close();
    bulkDb.close();
  }
}

async function values(broker: ListeningBroker['broker'], topic: string, from = 0): Promise<string[]> {
  const read = await broker.admin.read({ topic, partition: 0, offset: from }, 1_000);
  return read.map((r) => `${r.offset}:${r.value?.toString().replace(/-x+$/, '')}`);
}

describe('kafka listener: large batches in the bulk database', () => {
  it('keeps a large batch there, fetched byte for byte and read by Herald, before and after a restart', async (t) => {
    const dataDir = tempDir(t);
    const first = await listening(t, { dataDir });
    const topic = uniqueName('bulk');
    await first.broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await first.connect();
    const plain = batch(records('p', 80));
    const withHeaders = batch(records('h', 80, true));
    const small = batch(records('s', 3));
    assert.ok(plain.length >= BULK_MIN_BYTES && withHeaders.length >= BULK_MIN_BYTES && small.length < BULK_MIN_BYTES);
    assert.equal(await produce(client, topic, plain), 0);
    assert.equal(await produce(client, topic, small), 80);
    assert.equal(await produce(client, topic, withHeaders), 83);
    const expected = [
      ...Array.from({ length: 80 }, (_, i) => `${i}:p-${i}`),
      ...Array.from({ length: 3 }, (_, i) => `${80 + i}:s-${i}`),
      ...Array.from({ length: 80 }, (_, i) => `${83 + i}:h-${i}`),
    ];
    assert.deepEqual(await values(first.broker, topic), expected);
    await first.broker.stop();

    const logId = 1;
    const { rows, bulk } = stored(dataDir, logId);
    assert.deepEqual(rows, [
      [79, 0],
      [82, small.length],
      [162, 0],
    ]);
    assert.deepEqual(bulk, [79, 162]);

    const again = await listening(t, { dataDir });
    // From the disk, not the newest batches kept in memory.
    assert.deepEqual(await values(again.broker, topic), expected);
    assert.deepEqual(await values(again.broker, topic, 100), expected.slice(100));
    const reader = await again.connect();
    const answer = await reader.request(ApiKey.Fetch, 12, fetchBody(topic, 0, 0));
    const fetched: Buffer = answer.responses[0].partitions[0].records;
    const parts = [plain, small, withHeaders];
    let at = 0;
    for (const [i, sent] of parts.entries()) {
      const got = fetched.subarray(at, at + sent.length);
      assert.equal(got.readBigInt64BE(0), BigInt([0, 80, 83][i]), 'its base offset is where it landed');
      assert.deepEqual(got.subarray(16), sent.subarray(16), `batch ${i}: from the magic byte on, the bytes the producer sent`);
      at += sent.length;
    }
    assert.equal(at, fetched.length);
    const earliest = await reader.request(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 }] }],
    });
    assert.equal(Number(earliest.topics[0].partitions[0].offset), 0);
  });

  it('retention deletes the bytes there too, and deleting the topic drops its table', async (t) => {
    const { broker, connect, dataDir } = await listening(t, { broker: { cleanerIntervalMs: 50 } });
    const topic = uniqueName('bulk-retention');
    await broker.admin.createTopic({ name: topic, partitions: 1, retentionBytes: 150_000 });
    const client = await connect();
    for (let i = 0; i < 5; i++) await produce(client, topic, batch(records(`r${i}`, 80)));
    await eventually(async () => (await broker.admin.describeTopic(topic)).partitions[0].earliest >= 240, 'retention to run');
    const [partition] = (await broker.admin.describeTopic(topic)).partitions;
    const left = await values(broker, topic);
    const e = partition.earliest;
    assert.equal(left[0], `${e}:r${Math.floor(e / 80)}-${e % 80}`);
    assert.equal(left.at(-1), '399:r4-79');
    await broker.admin.deleteTopic(topic);
    const other = uniqueName('bulk-kept');
    await broker.admin.createTopic({ name: other, partitions: 1, retentionBytes: 150_000 });
    for (let i = 0; i < 5; i++) await produce(client, other, batch(records(`k${i}`, 80)));
    await eventually(async () => (await broker.admin.describeTopic(other)).partitions[0].earliest >= 240, 'retention to run');
    const { earliest } = (await broker.admin.describeTopic(other)).partitions[0];
    await broker.stop();
    const bulkDb = new DatabaseSync(path.join(dataDir, BULK_FILE), { readOnly: true });
    t.after(() => bulkDb.close());
    const tables = (bulkDb.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(tables, ['log_2'], "the deleted topic's table is gone");
    const kept = (bulkDb.prepare('SELECT last FROM log_2 ORDER BY last').all() as { last: number }[]).map((r) => r.last);
    assert.deepEqual(kept, [79, 159, 239, 319, 399].filter((last) => last >= earliest), `retention left ${kept}`);
  });

  it('at start, deletes batches whose bytes are missing and bytes no batch names, keeping the next offset', async (t) => {
    const first = await listening(t);
    const { dataDir } = first;
    const topic = uniqueName('bulk-reconcile');
    await first.broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await first.connect();
    for (let i = 0; i < 3; i++) await produce(client, topic, batch(records(`c${i}`, 80)));
    await first.broker.stop();
    // As an OS crash could leave them: the newest batch's bytes lost, and bytes of a write whose row was lost.
    const bulkDb = new DatabaseSync(path.join(dataDir, BULK_FILE));
    bulkDb.exec('DELETE FROM log_1 WHERE last = 239');
    bulkDb.prepare('INSERT INTO log_1 (last, b) VALUES (?, ?)').run(400, Buffer.alloc(10));
    bulkDb.close();

    const again = await listening(t, { dataDir });
    assert.deepEqual(again.logs.matching('deleted batches whose bytes').map((l) => l.batches), [1]);
    const read = await values(again.broker, topic);
    assert.equal(read.length, 160);
    assert.equal(read[159], '159:c1-79');
    const sent = await again.broker.producer().send([{ topic, value: Buffer.from('after') }]);
    assert.equal(sent[0].offset, 240, 'the next offset stays past what was lost');
    await again.broker.stop();
    assert.deepEqual(stored(dataDir, 1).bulk, [79, 159]);
    const db = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
    t.after(() => db.close());
    const { bytes } = db.prepare('SELECT bytes FROM logs WHERE id = 1').get() as { bytes: number };
    assert.ok(bytes > 160 * 1_000 && bytes < 200 * 1_000, `the log's size counts what is left: ${bytes}`);
  });
});

describe('bulk database: a lost file', () => {
  it('is refused by name; with acceptEmptyStorage the broker starts without its batches and says so', async (t) => {
    const first = await listening(t);
    const { dataDir } = first;
    const topic = uniqueName('bulk-lost');
    await first.broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await first.connect();
    await produce(client, topic, batch(records('big', 80)));
    await produce(client, topic, batch(records('small', 2)));
    await first.broker.stop();
    for (const suffix of ['', '-wal']) fs.rmSync(path.join(dataDir, `${BULK_FILE}${suffix}`), { force: true });

    const refused = createEmbeddedBroker({ kind: 'embedded', dataDir });
    await assert.rejects(refused.start(), (err: Error & { code?: string; details?: { file?: string } }) => {
      assert.equal(err.code, 'HERALD_STORAGE_MISSING');
      assert.equal(err.details?.file, path.join(dataDir, BULK_FILE));
      assert.match(err.message, /acceptEmptyStorage/);
      return true;
    });
    const { logger, logs } = captureLogs();
    const accepting = createEmbeddedBroker({ kind: 'embedded', dataDir, acceptEmptyStorage: true }, logger);
    t.after(() => accepting.stop());
    await accepting.start();
    assert.equal(logs.matching('as broker.acceptEmptyStorage allows').length, 1);
    assert.deepEqual(logs.matching('deleted batches whose bytes').map((l) => l.batches), [1]);
    assert.deepEqual(await values(accepting, topic), ['80:small-0', '81:small-1']);
  });
});

describe('bulk database: a damaged file', () => {
  it('refuses to start, naming bulk.db', async (t) => {
    const dataDir = tempDir(t);
    const broker = await openBroker(t, { dataDir });
    await broker.stop();
    fs.writeFileSync(path.join(dataDir, BULK_FILE), Buffer.alloc(65_536, 'x'));
    fs.rmSync(path.join(dataDir, `${BULK_FILE}-wal`), { force: true });
    const again = createEmbeddedBroker({ kind: 'embedded', dataDir });
    await assert.rejects(again.start(), (err: Error & { code?: string; details?: { file?: string } }) => {
      assert.equal(err.code, 'HERALD_STORAGE_CORRUPT');
      assert.equal(err.details?.file, path.join(dataDir, BULK_FILE));
      return true;
    });
  });
});

describe('bulk database: which batches', () => {
  it('keeps large batches there, outside transactions and on normal topics only', () => {
    const on = (compacted: boolean) => ({ topic: { compacted } }) as unknown as PartitionLog;
    const large = Buffer.alloc(BULK_MIN_BYTES);
    assert.equal(keptInBulk(on(false), large, false), true);
    assert.equal(keptInBulk(on(false), large.subarray(1), false), false);
    assert.equal(keptInBulk(on(false), large, true), false);
    assert.equal(keptInBulk(on(true), large, false), false);
  });
});

describe('bulk database: a failed write', () => {
  it('refuses a large batch with nothing of it readable, whichever commit fails; the same offsets take it afterwards', async (t) => {
    const store = new Store(tempDir(t), { durability: 'os', cacheSizeKiB: 1024 });
    const topics = new TopicRegistry(store);
    await topics.create({ name: 't', partitions: 1 });
    const writer = new Writer(store, new Notifier(), new CommittedOffsets(store));
    t.after(async () => {
      await writer.close();
      store.close();
    });
    const log = topics.log('t', 0);
    const append = (tag: string) => {
      const sent = batch(records(tag, 80));
      const [decoded] = decodeBatches(sent, 1 << 20, true);
      return writer.appendPlain(log, decoded.plain!, sent);
    };
    assert.equal(await append('a'), 0);
    const refused = async (tag: string) => {
      await assert.rejects(append(tag), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'HERALD_STORAGE_FAILED');
        assert.match(err.message, /the disk is full/);
        return true;
      });
      assert.equal(log.end, 80, 'the end did not move');
    };
    // The bulk database full: its commit fails, the batch's row is never written.
    const { page_count: pages } = store.db.prepare('PRAGMA bulk.page_count').get() as { page_count: number };
    store.db.exec(`PRAGMA bulk.max_page_count = ${pages}`);
    await refused('lost-in-bulk');
    store.db.exec('PRAGMA bulk.max_page_count = 1000000');
    // The write's own commit fails after the bytes were committed: they stay, named by nothing.
    const updateLog = store.updateLog.bind(store);
    store.updateLog = () => {
      store.updateLog = updateLog;
      throw Object.assign(new Error('database or disk is full'), { errcode: 13 });
    };
    await refused('lost-in-main');
    assert.equal(await append('b'), 80, 'the same offsets, over the bytes a failed write left');
    const read = log.read(0, 1_000).map((r) => `${r[0]}:${Buffer.from(r[3]!).toString().replace(/-x+$/, '')}`);
    assert.deepEqual(read, [...Array.from({ length: 80 }, (_, i) => `${i}:a-${i}`), ...Array.from({ length: 80 }, (_, i) => `${80 + i}:b-${i}`)]);
  });
});

describe('kafka listener: large batches survive SIGKILL while sending', () => {
  for (const durability of ['fsync', 'os'] as const) {
    it(`keeps every acknowledged batch whole, nothing torn, offsets without gaps (durability '${durability}')`, async (t) => {
      const dataDir = tempDir(t);
      const topic = uniqueName('bulk-crash');
      const setup = await openBroker(t, { dataDir });
      await setup.admin.createTopic({ name: topic, partitions: 2 });
      await setup.stop();
      const child = spawn(NODE, [FIXTURE, dataDir, topic, '2', durability], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      t.after(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk) => {
        stderr += chunk;
      });
      const acked: { batch: number; partition: number; offset: number; count: number }[] = [];
      createInterface({ input: child.stdout }).on('line', (line) => acked.push(JSON.parse(line)));
      await waitFor(() => acked.length >= 120 || child.exitCode !== null, '120 acknowledged batches', 30_000);
      assert.equal(child.exitCode, null, `the producer died: ${stderr}`);
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;

      const broker = await openBroker(t, { dataDir });
      const stored = new Map<string, string>();
      const perBatch = new Map<number, number>();
      for (const { partition, earliest, latest } of (await broker.admin.describeTopic(topic)).partitions) {
        assert.equal(earliest, 0);
        for (let offset = 0; offset < latest; ) {
          const page = await broker.admin.read({ topic, partition, offset }, 1_000);
          for (const [i, record] of page.entries()) {
            assert.equal(record.offset, offset + i, `partition ${partition} has a gap at ${offset + i}`);
            const value = record.value!.toString();
            const [b, index, count] = value.split('-').map(Number);
            assert.equal(value, crashValue(b, index, count), `record ${partition}:${record.offset} is torn`);
            stored.set(`${partition}:${record.offset}`, value);
            perBatch.set(b, (perBatch.get(b) ?? 0) + 1);
          }
          offset += page.length;
        }
      }
      for (const { batch: b, partition, offset, count } of acked) {
        for (let i = 0; i < count; i++) {
          assert.equal(stored.get(`${partition}:${offset + i}`), crashValue(b, i, count), `acknowledged batch ${b} record ${i}`);
        }
      }
      for (const [b, n] of perBatch) assert.equal(n, b % 4 === 3 ? 5 : 70 + (b % 30), `batch ${b} is partial`);
    });
  }
});
