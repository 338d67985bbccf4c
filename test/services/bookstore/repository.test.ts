import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { starterCatalogue } from '../../../services/bookstore/catalogue.ts';
import { PostgresBookRepository } from '../../../services/bookstore/store/postgres.ts';
import type { BookRepository } from '../../../services/bookstore/store/repository.ts';
import { SqliteBookRepository } from '../../../services/bookstore/store/sqlite.ts';
import { postgresLocal } from '../../support/postgres.ts';

/** One place per backend: a factory that can be called again on the same place (a restart). */
type Place = (t: TestContext) => Promise<(() => BookRepository) | undefined>;

const sqlite: Place = async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bookstore-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return () => new SqliteBookRepository({ file: path.join(dir, 'books.db') });
};

const postgres: Place = async (t) => {
  const url = await postgresLocal(t);
  if (!url) return undefined;
  return () => new PostgresBookRepository({ url, poolSize: 2 });
};

async function opened(t: TestContext, make: () => BookRepository): Promise<BookRepository> {
  const repo = make();
  await repo.start();
  t.after(() => repo.stop());
  return repo;
}

for (const [name, place] of [
  ['SQLite', sqlite],
  ['PostgreSQL', postgres],
] as const) {
  describe(`bookstore repository on ${name}`, () => {
    it('loads the starter catalogue once, and not again after its books change', async (t) => {
      const make = await place(t);
      if (!make) return;
      const first = make();
      await first.start();
      const all = await first.search('', 0, 1_000);
      assert.equal(all.length, starterCatalogue().length);
      assert.ok(all.length >= 100);
      await first.create({ title: 'New', author: 'Someone', published_at: '2020-02-29', description: 'x' });
      await first.stop();
      const again = await opened(t, make);
      assert.equal((await again.search('', 0, 1_000)).length, starterCatalogue().length + 1);
    });

    it('searches title, author and description, case-insensitive, paged in id order', async (t) => {
      const make = await place(t);
      if (!make) return;
      const repo = await opened(t, make);
      const austen = await repo.search('AUSTEN', 0, 5);
      assert.equal(austen.length, 5);
      assert.ok(austen.every((b) => b.author === 'Jane Austen'));
      assert.deepEqual((await repo.search('austen', 5, 5)).map((b) => b.title), ['Mansfield Park']);
      assert.deepEqual((await repo.search('austen', 6, 5)), []);
      assert.ok((await repo.search('white whale', 0, 5)).some((b) => b.title === 'Moby-Dick'), 'description');
      assert.deepEqual(await repo.search('100%_', 0, 5), [], 'LIKE wildcards are literal');
      const ids = austen.map((b) => b.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    });

    it('creates books with their fields as given', async (t) => {
      const make = await place(t);
      if (!make) return;
      const repo = await opened(t, make);
      const book = await repo.create({ title: 'A: B', author: 'C', published_at: '1999-12-31', description: 'd' });
      assert.equal(typeof book.id, 'number');
      assert.equal(book.title, 'A: B');
      assert.equal(book.published_at, '1999-12-31');
      assert.match(book.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.deepEqual((await repo.search('a: b', 0, 5)).map((b) => b.id), [book.id]);
    });
  });
}
