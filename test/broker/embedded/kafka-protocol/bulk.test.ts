import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { BULK_DIR, BULK_MIN_BYTES, POINTER_BYTES } from '../../../../src/broker/embedded/bulk-store.ts';
import { decodeBatches } from '../../../../src/broker/embedded/kafka-protocol/records/batch.ts';
import type { PartitionLog } from '../../../../src/broker/embedded/partition-log.ts';
import { keptInBulk } from '../../../../src/broker/embedded/pending-log.ts';
import { Notifier } from '../../../../src/broker/embedded/notifier.ts';
import { CommittedOffsets } from '../../../../src/broker/embedded/offsets.ts';
import { Store } from '../../../../src/broker/embedded/store.ts';
import { TopicRegistry } from '../../../../src/broker/embedded/topics.ts';
import { Writer } from '../../../../src/broker/embedded/writer.ts';
import { crashValue } from '../fixtures/crash-records.ts';
import { eventually, NODE, openBroker, ROOT, tempDir, uniqueName, waitFor } from '../helpers.ts';
import { batch, fetchBody } from './batches.ts';
import { produce, records, segments, stored, values } from './bulk-files.ts';
import { listening } from './helpers.ts';
import { ApiKey } from './raw-client.ts';

const FIXTURE = path.join(import.meta.dirname, '../fixtures/crash-kafka-producer.ts');

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
});

describe('bulk files: which batches', () => {
  it('keeps large batches there, outside transactions and on normal topics only', () => {
    const on = (compacted: boolean) => ({ topic: { compacted } }) as unknown as PartitionLog;
    assert.equal(keptInBulk(on(false), BULK_MIN_BYTES, false), true);
    assert.equal(keptInBulk(on(false), BULK_MIN_BYTES - 1, false), false);
    assert.equal(keptInBulk(on(false), BULK_MIN_BYTES, true), false);
    assert.equal(keptInBulk(on(true), BULK_MIN_BYTES, false), false);
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
