import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import pino from 'pino';
import { SqliteStore } from '../../src/state/sqlite-store.ts';
import { packChanges, StoreWriter, unpackChanges } from '../../src/state/store-writer.ts';

const logger = pino({ level: 'silent' });

async function file(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-writer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'g.db');
}

describe('StoreWriter (write-behind thread)', () => {
  it('packs changes into one buffer and back: keys in any script, values, deletes', () => {
    const changes = [
      { partition: 0, key: 'a', value: Buffer.from('1') },
      { partition: 7, key: 'ключ-🔑', value: null },
      { partition: 2, key: '', value: Buffer.alloc(0) },
    ];
    assert.deepEqual(unpackChanges(packChanges(changes)), changes);
  });

  it('applies writes in order, each with its checkpoint, visible to a reader once resolved', async (t) => {
    const path = await file(t);
    const reader = new SqliteStore(path);
    t.after(() => reader.close());
    const writer = new StoreWriter(path, logger);
    const writes = [];
    for (let i = 1; i <= 50; i++) {
      writes.push(
        writer.write({ changes: [{ partition: 0, key: 'k', value: Buffer.from(String(i)) }], checkpoints: new Map([[0, i]]) }),
      );
    }
    await Promise.all(writes);
    assert.equal(reader.get(0, 'k')?.toString(), '50');
    assert.equal(reader.checkpoint(0), 50);
    await writer.close();
    await assert.rejects(writer.write({ changes: [], checkpoints: new Map() }), { code: 'HERALD_STORAGE_FAILED' });
  });

  it('after a failed write every later one fails too (no checkpoint may pass lost changes)', async (t) => {
    const path = await file(t);
    const reader = new SqliteStore(path);
    t.after(() => reader.close());
    const writer = new StoreWriter(path, logger);
    t.after(() => writer.close());
    await writer.write({ changes: [{ partition: 0, key: 'a', value: Buffer.from('1') }], checkpoints: new Map([[0, 1]]) });
    // Writes made close together (within a few ms) go to the thread together, in one transaction: one that fails
    // takes the others with it.
    const sameTurn = writer.write({ changes: [{ partition: 0, key: 'x', value: Buffer.from('0') }], checkpoints: new Map([[0, 2]]) });
    const bad = writer.write({ changes: [{ partition: 0, key: 'b', value: Buffer.from('2') }], checkpoints: new Map([[0, Number.NaN]]) });
    const sameTurnAfter = writer.write({ changes: [{ partition: 0, key: 'y', value: Buffer.from('0') }], checkpoints: new Map([[0, 3]]) });
    const failed = Promise.all([sameTurn, bad, sameTurnAfter].map((write) => assert.rejects(write, { code: 'HERALD_STORAGE_FAILED' })));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const later = writer.write({ changes: [{ partition: 0, key: 'c', value: Buffer.from('3') }], checkpoints: new Map([[0, 4]]) });
    await failed;
    await assert.rejects(later, /an earlier write failed/);
    for (const key of ['x', 'b', 'y', 'c']) assert.equal(reader.get(0, key), undefined);
    assert.equal(reader.checkpoint(0), 1);
  });

  it('a thread that cannot open its file fails the writes, and every later one', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-writer-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const writer = new StoreWriter(join(dir, 'no-such-dir', 'g.db'), logger);
    t.after(() => writer.close());
    const write = () => writer.write({ changes: [{ partition: 0, key: 'a', value: Buffer.from('1') }], checkpoints: new Map([[0, 1]]) });
    await assert.rejects(write(), { code: 'HERALD_STORAGE_FAILED' });
    await assert.rejects(write(), { code: 'HERALD_STORAGE_FAILED' });
  });
});
