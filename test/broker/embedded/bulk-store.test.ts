import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { BULK_DIR, BulkStore } from '../../../src/broker/embedded/bulk-store.ts';
import { tempDir } from './helpers.ts';
import { batch } from './kafka-protocol/batches.ts';

/** A batch of `count` 1,000-byte records at offsets `[base, base + count)`: [its last offset, its bytes]. */
function at(base: number, count = 10): [number, Buffer] {
  const bytes = batch(Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${base + i}`.padEnd(1_000, 'x') })));
  bytes.writeBigInt64BE(BigInt(base), 0);
  return [base + count - 1, bytes];
}

/** A store whose files end past `segmentBytes`, closed after the test. */
function open(t: TestContext, dataDir: string, segmentBytes = 25_000): BulkStore {
  const store = new BulkStore(dataDir, true, segmentBytes);
  t.after(() => store.close());
  return store;
}

function files(dataDir: string, logId: number): string[] {
  return fs.readdirSync(path.join(dataDir, BULK_DIR, String(logId))).filter((name) => name.endsWith('.seg')).sort();
}

describe('bulk files', () => {
  it('append batches to segment files that roll past their size, read back byte for byte after a reopen', async (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(7);
    const sent = [at(0), at(10), at(20), at(30), at(40)];
    for (const [last, bytes] of sent) store.append(7, last, bytes);
    store.keep();
    await store.sync();
    // ~10 KB a batch, files of 25,000 bytes: two batches a file.
    assert.deepEqual(files(dataDir, 7), ['00000000000000000000.seg', '00000000000000000020.seg', '00000000000000000040.seg']);
    for (const [last, bytes] of sent) {
      assert.deepEqual(store.read(7, last), bytes);
      assert.equal(store.length(7, last), bytes.length);
    }
    assert.equal(store.read(7, 5), undefined);
    assert.equal(store.length(8, 9), 0);
    store.close();

    const again = open(t, dataDir);
    assert.deepEqual(again.logIds(), [7]);
    assert.deepEqual(again.lasts(7), [9, 19, 29, 39, 49]);
    for (const [last, bytes] of sent) assert.deepEqual(again.read(7, last), bytes);
    assert.deepEqual(again.warnings, []);
    // A topic's own segment size: the next batch still fits the newest file.
    again.append(7, ...at(50), 1 << 20);
    again.keep();
    assert.equal(files(dataDir, 7).length, 3);
  });

  it('delete whole files below an offset, and a log directory when dropped', (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    for (let base = 0; base < 60; base += 10) store.append(1, ...at(base));
    store.keep();
    store.deleteBelow(1, 25);
    // The file of 20–39 holds a batch reaching 25: it stays, with the one below.
    assert.deepEqual(store.lasts(1), [29, 39, 49, 59]);
    assert.equal(files(dataDir, 1).length, 2);
    assert.equal(store.read(1, 19), undefined);
    store.deleteBelow(1, 100);
    assert.deepEqual(store.lasts(1), []);
    assert.deepEqual(files(dataDir, 1), []);
    store.append(1, ...at(100));
    store.keep();
    assert.deepEqual(files(dataDir, 1), ['00000000000000000100.seg']);
    store.drop(1);
    assert.equal(store.has(1), false);
    assert.deepEqual(fs.readdirSync(path.join(dataDir, BULK_DIR)), []);
  });

  it('take back the appends of a failed commit, newest first, deleting a file made for them', (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    store.append(1, ...at(0));
    store.append(1, ...at(10));
    store.keep();
    const [first] = files(dataDir, 1);
    const size = fs.statSync(path.join(dataDir, BULK_DIR, '1', first)).size;
    store.append(1, ...at(20)); // a new file
    store.append(1, ...at(30));
    store.undo();
    assert.deepEqual(store.lasts(1), [9, 19]);
    assert.deepEqual(files(dataDir, 1), [first]);
    assert.equal(fs.statSync(path.join(dataDir, BULK_DIR, '1', first)).size, size);
    assert.equal(store.read(1, 29), undefined);
    store.append(1, ...at(20));
    store.keep();
    assert.deepEqual(store.lasts(1), [9, 19, 29]);
  });

  it('at open, cut a file after its last whole batch, and forget what no row names', (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    for (let base = 0; base < 60; base += 10) store.append(1, ...at(base));
    store.keep();
    store.close();
    const dir = path.join(dataDir, BULK_DIR, '1');
    const newest = path.join(dir, files(dataDir, 1).at(-1)!);
    fs.appendFileSync(newest, at(60)[1].subarray(0, 500));
    fs.writeFileSync(path.join(dir, '00000000000000000099.seg'), Buffer.alloc(30));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a segment');

    const again = open(t, dataDir);
    assert.deepEqual(again.warnings, [`${newest}: cut off 500 bytes after its last whole batch`, `${path.join(dir, '00000000000000000099.seg')}: cut off 30 bytes after its last whole batch`]);
    assert.equal(fs.existsSync(path.join(dir, '00000000000000000099.seg')), false, 'a file with no whole batch is removed');
    assert.deepEqual(again.lasts(1), [9, 19, 29, 39, 49, 59]);
    // Rows name 29–49: the first file's batches were deleted before a crash, the newest's was never committed.
    again.forgetUnnamed(1, new Set([29, 39, 49]));
    assert.deepEqual(again.lasts(1), [29, 39, 49]);
    assert.deepEqual(files(dataDir, 1), ['00000000000000000020.seg', '00000000000000000040.seg']);
    assert.equal(again.read(1, 19), undefined);
    assert.equal(fs.statSync(path.join(dir, '00000000000000000040.seg')).size, at(40)[1].length);
    again.append(1, ...at(50));
    again.keep();
    assert.deepEqual(again.lasts(1), [29, 39, 49, 59]);
  });

  it('keep two files of a log open for reads: the newest and the older one read last', (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    for (let base = 0; base < 80; base += 10) store.append(1, ...at(base));
    store.keep();
    store.close();
    const again = open(t, dataDir);
    const opens = t.mock.method(fs, 'openSync');
    const closes = t.mock.method(fs, 'closeSync');
    for (let last = 9; last < 80; last += 10) assert.ok(again.read(1, last));
    assert.equal(opens.mock.callCount(), 4, 'each file once');
    assert.equal(closes.mock.callCount(), 2, 'the first two, as the next were read');
    assert.ok(again.read(1, 9));
    assert.equal(closes.mock.callCount(), 3);
  });

  it('close a dropped file only once the sync in flight is done with it', async (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    store.append(1, ...at(0));
    store.keep();
    const closes = t.mock.method(fs, 'closeSync');
    const syncing = store.sync();
    store.drop(1);
    assert.equal(closes.mock.callCount(), 0);
    await syncing;
    assert.equal(closes.mock.callCount(), 1);
    await store.sync(); // nothing written since
  });
});
