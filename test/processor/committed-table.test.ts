import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { CommittedTable } from '../../src/processor/committed-table.ts';
import pino from 'pino';
import { SqliteStore } from '../../src/state/sqlite-store.ts';
import { StoreWriter } from '../../src/state/store-writer.ts';

const logger = pino({ level: 'silent' });

const change = (key: string, value: string | null) => ({
  key,
  bytes: value === null ? null : Buffer.from(value),
  source: { topic: 't', partition: 0, offset: 0 },
});

it('written behind: values readable before they reach the store; a lost write falls back to writing here', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'herald-table-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new SqliteStore(join(dir, 'g.db'));
  t.after(() => store.close());
  const writer = new StoreWriter(store.path, logger);
  const lost: unknown[] = [];
  // Room for two entries (a one-letter key and value weigh ~127 bytes with the entry's overhead).
  const table = new CommittedTable(store, 260, writer, (err) => lost.push(err));
  table.apply(0, [change('a', '1'), change('b', '2'), change('c', '3')], 3);
  // The cache holds 2: 'a' is only pending, and still readable.
  assert.deepEqual(
    [...table.readMany(0, ['a', 'b', 'c', 'd'])].map(([k, v]) => [k, v?.toString()]),
    [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', undefined],
    ],
  );
  await table.flush();
  assert.equal(store.checkpoint(0), 3);
  assert.equal(store.get(0, 'a')?.toString(), '1');

  table.apply(0, [change('a', null)], Number.NaN); // the thread cannot write this checkpoint
  await table.flush();
  assert.equal(lost.length, 1);
  assert.equal(store.checkpoint(0), 3, 'the lost write left the store as it was');
  table.forget(0);
  table.apply(0, [change('e', '5')], 4); // written here now
  assert.equal(store.get(0, 'e')?.toString(), '5');
  assert.equal(store.checkpoint(0), 4);
});

it("one cache by size for all partitions: forgetting a partition keeps the others' values", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'herald-table-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new SqliteStore(join(dir, 'g.db'));
  t.after(() => store.close());
  const asked: number[] = [];
  const getMany = store.getMany.bind(store);
  store.getMany = (partition, keys) => {
    asked.push(partition);
    return getMany(partition, keys);
  };
  const table = new CommittedTable(store, 1_048_576);
  table.apply(0, [change('k', 'zero')], 1);
  table.apply(1, [change('k', 'one')], 1);
  assert.equal(table.readMany(0, ['k']).get('k')?.toString(), 'zero', 'the same key, kept apart by partition');
  assert.equal(table.readMany(1, ['k']).get('k')?.toString(), 'one');
  assert.deepEqual(asked, [], 'both from the cache');
  table.forget(0);
  assert.equal(table.readMany(0, ['k']).get('k')?.toString(), 'zero');
  assert.equal(table.readMany(1, ['k']).get('k')?.toString(), 'one');
  assert.deepEqual(asked, [0], 'only the forgotten partition went to the store');
});
