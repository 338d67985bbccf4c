import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { MemoryStore } from '../../src/state/memory-store.ts';
import { SqliteStore } from '../../src/state/sqlite-store.ts';
import type { KeyValueStore } from '../../src/state/store.ts';

async function tempFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'state', 'g.db');
}

const b = (s: string) => Buffer.from(s);

for (const [kind, make] of [
  ['memory', async () => new MemoryStore()],
  ['sqlite', async (t: TestContext) => new SqliteStore(await tempFile(t))],
] as const) {
  describe(`${kind} store`, () => {
    async function store(t: TestContext): Promise<KeyValueStore> {
      const s = await make(t);
      t.after(() => s.close());
      return s;
    }

    it('applies changes and checkpoints together, by partition', async (t) => {
      const s = await store(t);
      assert.equal(s.kind, kind);
      assert.equal(s.checkpoint(0), undefined);
      s.apply({
        changes: [
          { partition: 0, key: 'a', value: b('1') },
          { partition: 1, key: 'a', value: b('x') },
          { partition: 0, key: 'b', value: b('2') },
          { partition: 0, key: 'a', value: b('3') },
        ],
        checkpoints: new Map([
          [0, 4],
          [1, 1],
        ]),
      });
      assert.deepEqual(s.get(0, 'a'), b('3'));
      assert.deepEqual(s.get(1, 'a'), b('x'));
      assert.equal(s.get(2, 'a'), undefined);
      assert.equal(s.size(0), 2);
      assert.equal(s.checkpoint(0), 4);
      assert.deepEqual(s.partitions(), [0, 1]);
      assert.deepEqual(
        [...s.entries(0)].sort(([x], [y]) => x.localeCompare(y)),
        [
          ['a', b('3')],
          ['b', b('2')],
        ],
      );
      s.apply({ changes: [{ partition: 0, key: 'a', value: null }], checkpoints: new Map([[0, 5]]) });
      assert.equal(s.get(0, 'a'), undefined);
      assert.equal(s.size(0), 1);
      assert.equal(s.checkpoint(0), 5);
    });

    it('drops a partition with its checkpoint, leaving the others', async (t) => {
      const s = await store(t);
      s.apply({
        changes: [
          { partition: 0, key: 'a', value: b('1') },
          { partition: 1, key: 'b', value: b('2') },
        ],
        checkpoints: new Map([
          [0, 1],
          [1, 1],
        ]),
      });
      s.dropPartition(0);
      assert.equal(s.get(0, 'a'), undefined);
      assert.equal(s.checkpoint(0), undefined);
      assert.deepEqual(s.get(1, 'b'), b('2'));
      assert.deepEqual(s.partitions(), [1]);
      assert.deepEqual([...s.entries(0)], []);
    });
  });
}

describe('sqlite store on disk', () => {
  it('keeps data and checkpoints across reopen', async (t) => {
    const file = await tempFile(t);
    const first = new SqliteStore(file);
    first.apply({ changes: [{ partition: 3, key: 'k', value: b('v') }], checkpoints: new Map([[3, 10]]) });
    first.close();
    first.close();
    const resets: string[] = [];
    const second = new SqliteStore(file, { onReset: (r) => resets.push(r.reason) });
    t.after(() => second.close());
    assert.deepEqual(second.get(3, 'k'), b('v'));
    assert.equal(second.checkpoint(3), 10);
    assert.deepEqual(resets, []);
  });

  it('a write that fails leaves neither its data nor its checkpoint', async (t) => {
    const s = new SqliteStore(await tempFile(t));
    t.after(() => s.close());
    s.apply({ changes: [{ partition: 0, key: 'a', value: b('1') }], checkpoints: new Map([[0, 1]]) });
    const bad = { partition: 0, key: 'c', value: { not: 'bytes' } as unknown as Buffer };
    assert.throws(
      () =>
        s.apply({
          changes: [{ partition: 0, key: 'b', value: b('2') }, bad],
          checkpoints: new Map([[0, 3]]),
        }),
      { code: 'HERALD_STORAGE_FAILED' },
    );
    assert.equal(s.get(0, 'b'), undefined);
    assert.equal(s.checkpoint(0), 1);
  });
});
