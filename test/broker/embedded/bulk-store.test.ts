import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { BULK_DIR, BulkStore, isPointer, pointedLength } from '../../../src/broker/embedded/bulk-store.ts';
import { tempDir } from './helpers.ts';
import { batch } from './kafka-protocol/batches.ts';

const made = new Map<number, Buffer>();

/** The batch of ten 1,000-byte records at offsets `[base, base + 10)` (the same bytes each time). */
function at(base: number): Buffer {
  let bytes = made.get(base);
  if (bytes === undefined) {
    bytes = batch(Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `${base + i}`.padEnd(1_000, 'x') })));
    bytes.writeBigInt64BE(BigInt(base), 0);
    made.set(base, bytes);
  }
  return bytes;
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

/** Appends batches at `bases` to log `logId` and keeps them; returns their pointers. */
function appendAll(store: BulkStore, logId: number, bases: number[]): Buffer[] {
  const pointers = bases.map((base) => store.append(logId, at(base)));
  store.keep();
  return pointers;
}

describe('bulk files', () => {
  it('append batches to files that roll past their size, read back by pointer byte for byte after a reopen', async (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(7);
    const bases = [0, 10, 20, 30, 40];
    const pointers = appendAll(store, 7, bases);
    await store.sync();
    // ~10 KB a batch, files of 25,000 bytes: two batches a file.
    assert.deepEqual(files(dataDir, 7), ['00000000000000000000.seg', '00000000000000000020.seg', '00000000000000000040.seg']);
    for (const [i, pointer] of pointers.entries()) {
      assert.equal(isPointer(pointer), true);
      assert.equal(pointedLength(pointer), at(bases[i]).length);
      assert.deepEqual(store.read(7, pointer), at(bases[i]));
    }
    store.close();

    const again = open(t, dataDir);
    assert.deepEqual(again.logIds(), [7]);
    for (const [i, pointer] of pointers.entries()) assert.deepEqual(again.read(7, pointer), at(bases[i]));
    // A topic's own segment size: the next batch still fits the newest file.
    again.append(7, at(50), 1 << 20);
    again.keep();
    assert.equal(files(dataDir, 7).length, 3);
  });

  it('read batches lying one after another in a file with one read, a file at a time', (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    const pointers = appendAll(store, 1, [0, 10, 20, 30, 40]);
    const reads = t.mock.method(fs, 'readSync');
    // Files of two batches: 0–19, 20–39, 40–49.
    assert.deepEqual(store.readRun(1, pointers), [Buffer.concat([at(0), at(10)]), Buffer.concat([at(20), at(30)]), at(40)]);
    assert.equal(reads.mock.callCount(), 3);
    assert.deepEqual(store.readRun(1, pointers.slice(1, 3)), [at(10), at(20)]);
  });

  it('keep two files of a log open for reads: the newest and the older one read last', (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    const pointers = appendAll(store, 1, [0, 10, 20, 30, 40, 50, 60, 70]);
    store.close();
    const again = open(t, dataDir);
    const opens = t.mock.method(fs, 'openSync');
    const closes = t.mock.method(fs, 'closeSync');
    for (const pointer of pointers) again.read(1, pointer);
    assert.equal(opens.mock.callCount(), 4, 'each file once');
    assert.equal(closes.mock.callCount(), 2, 'the first two, as the next were read');
    again.read(1, pointers[0]);
    assert.equal(closes.mock.callCount(), 3);
  });

  it('delete the files wholly below an offset, never the newest, and a log directory when dropped', (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    appendAll(store, 1, [0, 10, 20, 30, 40, 50]);
    store.deleteBelow(1, 25);
    // The file of 20–39 holds batches reaching 25: it stays.
    assert.deepEqual(files(dataDir, 1), ['00000000000000000020.seg', '00000000000000000040.seg']);
    store.deleteBelow(1, 1_000);
    assert.deepEqual(files(dataDir, 1), ['00000000000000000040.seg']);
    store.drop(1);
    assert.equal(store.has(1), false);
    assert.deepEqual(fs.readdirSync(path.join(dataDir, BULK_DIR)), []);
  });

  it('take back the appends of a failed commit, newest first, deleting a file made for them', (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    appendAll(store, 1, [0, 10]);
    const [first] = files(dataDir, 1);
    const size = fs.statSync(path.join(dataDir, BULK_DIR, '1', first)).size;
    store.append(1, at(20)); // a new file
    store.append(1, at(30));
    store.undo();
    assert.deepEqual(files(dataDir, 1), [first]);
    assert.equal(fs.statSync(path.join(dataDir, BULK_DIR, '1', first)).size, size);
    const [pointer] = appendAll(store, 1, [20]);
    assert.deepEqual(store.read(1, pointer), at(20));
  });

  it('tell whether a pointer is held whole, and keep only the bytes from the oldest to the newest named', (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    const pointers = appendAll(store, 1, [0, 10, 20, 30, 40, 50]);
    store.close();
    const dir = path.join(dataDir, BULK_DIR, '1');
    const newest = path.join(dir, files(dataDir, 1).at(-1)!);
    fs.truncateSync(newest, at(40).length + 500); // the newest batch lost but 500 bytes
    const again = open(t, dataDir);
    assert.equal(again.holds(1, pointers[4]), true);
    assert.equal(again.holds(1, pointers[5]), false);
    assert.equal(again.holds(2, pointers[0]), false, 'another log');
    const nowhere = Buffer.from(pointers[0]);
    nowhere.writeBigInt64BE(-1n, 0);
    assert.equal(again.holds(1, nowhere), false, 'no such file');
    // Rows name 20–39: the first file's batches were deleted before a crash, and the rest never committed.
    again.keepOnly(1, pointers[2], pointers[3]);
    assert.deepEqual(files(dataDir, 1), ['00000000000000000020.seg']);
    assert.deepEqual(again.readRun(1, [pointers[2], pointers[3]]), [Buffer.concat([at(20), at(30)])]);
    // Cut inside a file: a write after the last named batch, in the same file.
    again.append(1, at(40), 1 << 20);
    again.keep();
    const named = at(20).length + at(30).length;
    assert.equal(fs.statSync(path.join(dir, '00000000000000000020.seg')).size, named + at(40).length);
    again.keepOnly(1, pointers[2], pointers[3]);
    assert.equal(fs.statSync(path.join(dir, '00000000000000000020.seg')).size, named);
    const [next] = appendAll(again, 1, [40]);
    assert.deepEqual(again.read(1, next), at(40), 'the next write lands where the cut was');
    again.keepOnly(1, undefined, undefined);
    assert.deepEqual(files(dataDir, 1), [], 'nothing named: every file goes');
  });

  it('close a dropped file only once the sync in flight is done with it', async (t) => {
    const dataDir = tempDir(t);
    const store = open(t, dataDir);
    store.create(1);
    appendAll(store, 1, [0]);
    const closes = t.mock.method(fs, 'closeSync');
    const syncing = store.sync();
    store.drop(1);
    assert.equal(closes.mock.callCount(), 0);
    await syncing;
    assert.equal(closes.mock.callCount(), 1);
    await store.sync(); // nothing written since
  });
});
