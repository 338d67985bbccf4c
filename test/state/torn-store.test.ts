import assert from 'node:assert/strict';
import { openSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it, type TestContext } from 'node:test';
import { SqliteStore } from '../../src/state/sqlite-store.ts';
import type { StoreReset } from '../../src/state/store.ts';

async function filled(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-torn-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'g.db');
  const store = new SqliteStore(file);
  const changes = Array.from({ length: 5_000 }, (_, i) => ({
    partition: i % 4,
    key: `key-${i}`,
    value: Buffer.alloc(200, i % 251),
  }));
  store.apply({ changes, checkpoints: new Map([[0, 5_000]]) });
  store.close();
  return file;
}

function reopen(t: TestContext, file: string): { store: SqliteStore; resets: StoreReset[] } {
  const resets: StoreReset[] = [];
  const store = new SqliteStore(file, { onReset: (r) => resets.push(r) });
  t.after(() => store.close());
  return { store, resets };
}

function assertRebuiltEmpty(store: SqliteStore, resets: StoreReset[]): void {
  assert.equal(resets.length, 1, 'the file must be distrusted');
  assert.deepEqual(store.partitions(), [], 'no checkpoint survives: every partition restores from scratch');
  assert.equal(store.get(0, 'key-0'), undefined);
  // and it works afterwards
  store.apply({ changes: [{ partition: 0, key: 'a', value: Buffer.from('1') }], checkpoints: new Map([[0, 1]]) });
  assert.equal(store.checkpoint(0), 1);
}

describe('a store file that cannot be trusted is rebuilt, never read', () => {
  it('garbage instead of a database (no SQLite header)', async (t) => {
    const file = await filled(t);
    writeFileSync(file, Buffer.alloc(statSync(file).size, 0x41));
    const { store, resets } = reopen(t, file);
    assertRebuiltEmpty(store, resets);
  });

  it('pages overwritten in the middle (a torn write)', async (t) => {
    const file = await filled(t);
    const fd = openSync(file, 'r+');
    const size = statSync(file).size;
    writeSync(fd, Buffer.alloc(4096 * 4, 0xff), 0, 4096 * 4, Math.floor(size / 2 / 4096) * 4096);
    closeSync(fd);
    const { store, resets } = reopen(t, file);
    assertRebuiltEmpty(store, resets);
    assert.match(resets[0].reason, /quick_check|malformed|corrupt/i);
  });

  it('a file cut short', async (t) => {
    const file = await filled(t);
    truncateSync(file, Math.floor(statSync(file).size / 3));
    const { store, resets } = reopen(t, file);
    assertRebuiltEmpty(store, resets);
  });

  it('a database of another layout version', async (t) => {
    const file = await filled(t);
    const db = new DatabaseSync(file);
    db.exec('PRAGMA user_version = 99');
    db.close();
    const { store, resets } = reopen(t, file);
    assertRebuiltEmpty(store, resets);
    assert.match(resets[0].reason, /layout version 99/);
  });

  it('an intact file is kept', async (t) => {
    const file = await filled(t);
    const before = readFileSync(file).length;
    const { store, resets } = reopen(t, file);
    assert.deepEqual(resets, []);
    assert.equal(store.checkpoint(0), 5_000);
    assert.equal(store.size(1), 1_250);
    assert.ok(before > 0);
  });
});
