import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Book, BookInput } from '../../../services/bookstore/book.ts';
import { withSearchCache } from '../../../services/bookstore/store/cached.ts';
import type { BookRepository } from '../../../services/bookstore/store/repository.ts';

function counting(): BookRepository & { searches: number; books: Book[]; failNext: boolean } {
  const repository = {
    searches: 0,
    failNext: false,
    books: [] as Book[],
    async start() {},
    async stop() {},
    async search(query: string, offset: number, limit: number) {
      repository.searches += 1;
      if (repository.failNext) {
        repository.failNext = false;
        throw new Error('database down');
      }
      return repository.books.filter((b) => b.title.includes(query)).slice(offset, offset + limit);
    },
    async create(input: BookInput) {
      const book = { ...input, id: repository.books.length + 1, created_at: 'now' } as unknown as Book;
      repository.books.push(book);
      return book;
    },
  };
  return repository;
}

it('search cache: repeats answered from memory, own writes seen at once, others within the TTL, failures not kept', async () => {
  let clock = 0;
  const inner = counting();
  const cached = withSearchCache(inner, { entries: 10, ttlMs: 1_000 }, () => clock);
  await cached.create({ title: 'Moby Dick' } as BookInput);
  assert.equal((await cached.search('Moby', 0, 5)).length, 1);
  await Promise.all([cached.search('Moby', 0, 5), cached.search('Moby', 0, 5)]);
  assert.equal(inner.searches, 1, 'repeats and concurrent twins share one query');
  await cached.search('Moby', 5, 5);
  assert.equal(inner.searches, 2, 'another page is another search');

  await cached.create({ title: 'Moby Dick, again' } as BookInput);
  assert.equal((await cached.search('Moby', 0, 5)).length, 2, "this process's own book is seen at once");

  inner.books.push({ title: 'Moby, by another process' } as Book);
  assert.equal((await cached.search('Moby', 0, 5)).length, 2, 'within the TTL the cached answer stands');
  clock += 1_000;
  assert.equal((await cached.search('Moby', 0, 5)).length, 3, 'after it, the database answers again');

  inner.failNext = true;
  await assert.rejects(cached.search('Dick', 0, 5), /database down/);
  assert.equal((await cached.search('Dick', 0, 5)).length, 2, 'a failure is not remembered');
  assert.equal(withSearchCache(inner, { entries: 0, ttlMs: 1 }), inner, 'entries 0: no cache');
});
