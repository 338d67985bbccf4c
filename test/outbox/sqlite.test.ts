import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SqliteOutbox } from '../../src/outbox/index.ts';
import { silent, sqliteFactory, tempDir } from './harness.ts';
import { outboxSuite } from './suite.ts';

outboxSuite('SQLite', sqliteFactory);

describe('SQLite outbox transactions', () => {
  it('refuse asynchronous work, rolling it back', async (t) => {
    const outbox = new SqliteOutbox({ file: path.join(tempDir(t), 'db.sqlite'), logger: silent });
    t.after(() => outbox.close());
    await assert.rejects(
      outbox.transaction(async (tx) => tx.append({ aggregateType: 'a', aggregateId: 'b', type: 'c', payload: null })),
      /must be synchronous/,
    );
    const { n } = outbox.db.prepare('SELECT count(*) AS n FROM herald_outbox').get() as { n: number };
    assert.equal(n, 0);
  });

  it('commit a group together and resolve each with its own result', async (t) => {
    const outbox = new SqliteOutbox({ file: path.join(tempDir(t), 'db.sqlite'), logger: silent });
    t.after(() => outbox.close());
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => outbox.transaction(() => i * 2)));
    assert.deepEqual(
      results,
      Array.from({ length: 50 }, (_, i) => i * 2),
    );
  });

  it('refuse work once closed', async (t) => {
    const outbox = new SqliteOutbox({ file: path.join(tempDir(t), 'db.sqlite'), durability: 'os' });
    await outbox.close();
    await assert.rejects(
      outbox.transaction(() => 1),
      /closed/,
    );
    assert.throws(() => new SqliteOutbox({ file: path.join(tempDir(t), 'x.sqlite'), table: 'bad name' }), /table name/);
  });
});
