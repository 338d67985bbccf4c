import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { describe, it, type TestContext } from 'node:test';
import { BULK_DIR, BULK_MIN_BYTES, BulkStore, POINTER_BYTES } from '../../../../src/broker/embedded/bulk-store.ts';
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

/**
 * Per row of the partition's table in herald.db: [last offset, length of its own bytes]; and the last offsets of
 * the batches in its bulk files, in the order they lie there.
 */
function stored(dataDir: string, logId: number): { rows: [number, number][]; bulk: number[] } {
  const db = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
  try {
    const rows = db.prepare(`SELECT last, length(b) AS n FROM log_${logId} ORDER BY last`).all() as { last: number; n: number }[];
    const bulk: number[] = [];
    for (const file of fs.existsSync(path.join(dataDir, BULK_DIR, String(logId))) ? segments(dataDir, logId) : []) {
      const bytes = fs.readFileSync(file);
      for (let at = 0; at < bytes.length; at += 12 + bytes.readInt32BE(at + 8)) bulk.push(Number(bytes.readBigInt64BE(at)) + bytes.readInt32BE(at + 23));
    }
    return { rows: rows.map((r) => [r.last, r.n]), bulk };
  } finally {
    db.close();
  }
}

/** The segment files of log `logId`, oldest first. */
function segments(dataDir: string, logId: number): string[] {
  const dir = path.join(dataDir, BULK_DIR, String(logId));
  return fs.readdirSync(dir).sort().map((name) => path.join(dir, name));
}

async function values(broker: ListeningBroker['broker'], topic: string, from = 0): Promise<string[]> {
  const read = await broker.admin.read({ topic, partition: 0, offset: from }, 1_000);
  return read.map((r) => `${r.offset}:${r.value?.toString().replace(/-x+$/, '')}`);
}

describe('kafka listener: large batches in bulk files', () => {
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
      [79, POINTER_BYTES],
      [82, small.length],
      [162, POINTER_BYTES],
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

  it('retention deletes their files too, and deleting the topic its directory', async (t) => {
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
    // A file a batch: retention deletes files.
    await broker.admin.createTopic({ name: other, partitions: 1, retentionBytes: 150_000, configs: { 'segment.bytes': '100000' } });
    for (let i = 0; i < 5; i++) await produce(client, other, batch(records(`k${i}`, 80)));
    await eventually(async () => (await broker.admin.describeTopic(other)).partitions[0].earliest >= 240, 'retention to run');
    const { earliest } = (await broker.admin.describeTopic(other)).partitions[0];
    await broker.stop();
    assert.deepEqual(fs.readdirSync(path.join(dataDir, BULK_DIR)), ['2'], "the deleted topic's directory is gone");
    const kept = stored(dataDir, 2).bulk;
    assert.deepEqual(kept, [79, 159, 239, 319, 399].filter((last) => last >= earliest), `retention left ${kept}`);
    assert.equal(segments(dataDir, 2).length, kept.length);
  });

  it('at start, deletes batches an OS crash cut off their file, keeping the next offset', async (t) => {
    const first = await listening(t);
    const { dataDir } = first;
    const topic = uniqueName('bulk-reconcile');
    await first.broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await first.connect();
    for (let i = 0; i < 3; i++) await produce(client, topic, batch(records(`c${i}`, 80)));
    await first.broker.stop();
    // As an OS crash could leave the file: the newest batch written only in part.
    const [file] = segments(dataDir, 1);
    const length = fs.statSync(file).size / 3;
    fs.truncateSync(file, 2 * length + 1_000);

    const again = await listening(t, { dataDir });
    assert.deepEqual(again.logs.matching('deleted batches whose bytes').map((l) => l.batches), [1]);
    const read = await values(again.broker, topic);
    assert.equal(read.length, 160);
    assert.equal(read[159], '159:c1-79');
    const sent = await again.broker.producer().send([{ topic, value: Buffer.from('after') }]);
    assert.equal(sent[0].offset, 240, 'the next offset stays past what was lost');
    await again.broker.stop();
    assert.deepEqual(stored(dataDir, 1).bulk, [79, 159]);
    assert.equal(fs.statSync(file).size, 2 * length, 'the part of a batch no row names is cut off');
    const db = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
    t.after(() => db.close());
    const { bytes } = db.prepare('SELECT bytes FROM logs WHERE id = 1').get() as { bytes: number };
    assert.ok(bytes > 160 * 1_000 && bytes < 200 * 1_000, `the log's size counts what is left: ${bytes}`);
  });
});

describe('bulk files: lost', () => {
  it('is refused by name; with acceptEmptyStorage the broker starts without its batches and says so', async (t) => {
    const first = await listening(t);
    const { dataDir } = first;
    const topic = uniqueName('bulk-lost');
    await first.broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await first.connect();
    await produce(client, topic, batch(records('big', 80)));
    await produce(client, topic, batch(records('small', 2)));
    await first.broker.stop();
    fs.rmSync(path.join(dataDir, BULK_DIR), { recursive: true });

    const refused = createEmbeddedBroker({ kind: 'embedded', dataDir });
    await assert.rejects(refused.start(), (err: Error & { code?: string; details?: { file?: string } }) => {
      assert.equal(err.code, 'HERALD_STORAGE_MISSING');
      assert.equal(err.details?.file, path.join(dataDir, BULK_DIR));
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

describe('bulk files: a file removed', () => {
  it('drops the batches it held, with the warning, and the log goes on at its next offset', async (t) => {
    const first = await listening(t);
    const { dataDir } = first;
    const topic = uniqueName('bulk-removed');
    await first.broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await first.connect();
    for (let i = 0; i < 2; i++) await produce(client, topic, batch(records(`d${i}`, 80)));
    await produce(client, topic, batch(records('small', 2)));
    await first.broker.stop();
    fs.rmSync(segments(dataDir, 1)[0]);

    const again = await listening(t, { dataDir });
    assert.deepEqual(again.logs.matching('deleted batches whose bytes').map((l) => l.batches), [2]);
    assert.deepEqual(await values(again.broker, topic), ['160:small-0', '161:small-1']);
    assert.equal((await again.broker.producer().send([{ topic, value: Buffer.from('after') }]))[0].offset, 162);
  });
});

/** Turns `dataDir` back into schema 4: its large batches in bulk.db, their rows with empty bytes, no bulk files. */
function asSchema4(dataDir: string, logId: number): void {
  const db = new DatabaseSync(path.join(dataDir, DB_FILE));
  const files = new BulkStore(dataDir, false);
  const old = new DatabaseSync(path.join(dataDir, 'bulk.db'));
  try {
    old.exec(`PRAGMA journal_mode = WAL; CREATE TABLE log_${logId} (last INTEGER PRIMARY KEY, b BLOB NOT NULL)`);
    const pointers = db.prepare(`SELECT last, b FROM log_${logId} WHERE length(b) = ${POINTER_BYTES}`).all() as { last: number; b: Uint8Array }[];
    for (const { last, b } of pointers) old.prepare(`INSERT INTO log_${logId} (last, b) VALUES (?, ?)`).run(last, files.read(logId, b));
    db.exec(`UPDATE log_${logId} SET b = x'' WHERE length(b) = ${POINTER_BYTES}; PRAGMA user_version = 4`);
  } finally {
    old.close();
    files.close();
    db.close();
  }
  fs.rmSync(path.join(dataDir, BULK_DIR), { recursive: true });
}

describe('bulk files: a data directory of schema 4', () => {
  async function written(t: TestContext): Promise<{ dataDir: string; topic: string; expected: string[] }> {
    const first = await listening(t);
    const topic = uniqueName('bulk-schema-4');
    await first.broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await first.connect();
    await produce(client, topic, batch(records('a', 80)));
    await produce(client, topic, batch(records('s', 2)));
    await produce(client, topic, batch(records('b', 80)));
    const expected = await values(first.broker, topic);
    await first.broker.stop();
    return { dataDir: first.dataDir, topic, expected };
  }

  it("moves bulk.db's batches into files at the first start, after a move cut short", async (t) => {
    const { dataDir, topic, expected } = await written(t);
    const [segment] = segments(dataDir, 1);
    const cutShort = fs.readFileSync(segment).subarray(0, 50_000);
    asSchema4(dataDir, 1);
    fs.mkdirSync(path.join(dataDir, BULK_DIR, '1'), { recursive: true });
    fs.writeFileSync(segment, cutShort);

    const again = await listening(t, { dataDir });
    assert.deepEqual(await values(again.broker, topic), expected);
    await again.broker.stop();
    assert.deepEqual(stored(dataDir, 1).bulk, [79, 161]);
    const { rows } = stored(dataDir, 1);
    assert.deepEqual([rows[0][1], rows[2][1]], [POINTER_BYTES, POINTER_BYTES], 'the rows point at the files');
    assert.ok(rows[1][1] > POINTER_BYTES, 'the small batch stays in its row');
    assert.deepEqual(
      fs.readdirSync(dataDir).filter((name) => name.startsWith('bulk')),
      [BULK_DIR],
      'bulk.db and its log are gone',
    );
    const migrated = new DatabaseSync(path.join(dataDir, DB_FILE), { readOnly: true });
    t.after(() => migrated.close());
    assert.equal((migrated.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, 5);
  });

  it('without bulk.db, starts only with acceptEmptyStorage, and without the batches it held', async (t) => {
    const { dataDir, topic } = await written(t);
    asSchema4(dataDir, 1);
    fs.rmSync(path.join(dataDir, 'bulk.db'));
    await assert.rejects(createEmbeddedBroker({ kind: 'embedded', dataDir }).start(), (err: Error & { code?: string; details?: { file?: string } }) => {
      assert.equal(err.code, 'HERALD_STORAGE_MISSING');
      assert.equal(err.details?.file, path.join(dataDir, 'bulk.db'));
      return true;
    });
    const { logger, logs } = captureLogs();
    const accepting = createEmbeddedBroker({ kind: 'embedded', dataDir, acceptEmptyStorage: true }, logger);
    t.after(() => accepting.stop());
    await accepting.start();
    assert.deepEqual(logs.matching('deleted batches whose bytes').map((l) => l.batches), [2]);
    assert.deepEqual(await values(accepting, topic), ['80:s-0', '81:s-1']);
  });
});

describe('bulk files: which batches', () => {
  it('keeps large batches there, outside transactions and on normal topics only', () => {
    const on = (compacted: boolean) => ({ topic: { compacted } }) as unknown as PartitionLog;
    const large = Buffer.alloc(BULK_MIN_BYTES);
    assert.equal(keptInBulk(on(false), large, false), true);
    assert.equal(keptInBulk(on(false), large.subarray(1), false), false);
    assert.equal(keptInBulk(on(false), large, true), false);
    assert.equal(keptInBulk(on(true), large, false), false);
  });
});

describe('bulk files: a failed write', () => {
  it('refuses a large batch with nothing of it readable, whichever commit fails; the same offsets take it afterwards', async (t) => {
    const dataDir = tempDir(t);
    const store = new Store(dataDir, { durability: 'os', cacheSizeKiB: 1024 });
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
    const [file] = segments(dataDir, log.id);
    const one = fs.statSync(file).size;
    const refused = async (tag: string) => {
      await assert.rejects(append(tag), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'HERALD_STORAGE_FAILED');
        assert.match(err.message, /the disk is full/);
        return true;
      });
      assert.equal(log.end, 80, 'the end did not move');
      assert.equal(fs.statSync(file).size, one, 'nothing of the batch is left in the file');
    };
    // The disk fills while the bytes are written: half of them reach the file, and the batch's row is never written.
    const writeSync = fs.writeSync;
    const full = t.mock.method(fs, 'writeSync', (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => {
      writeSync(fd, buffer, offset, Math.floor(length / 2), position);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    await refused('lost-in-bulk');
    assert.equal(full.mock.callCount(), 1);
    full.mock.restore();
    // The write's own commit fails after the bytes were written: they are taken back.
    const updateLog = store.updateLog.bind(store);
    store.updateLog = () => {
      store.updateLog = updateLog;
      throw Object.assign(new Error('database or disk is full'), { errcode: 13 });
    };
    await refused('lost-in-main');
    assert.equal(await append('b'), 80, 'the same offsets');
    assert.equal(fs.statSync(file).size, 2 * one);
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
