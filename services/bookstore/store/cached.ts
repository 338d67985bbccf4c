import { LruCache, overriding } from '#herald/kit';
import type { Book } from '../book.ts';
import type { BookRepository } from './repository.ts';

/** What the search cache keeps, and for how long another process's new book may stay unseen. */
export interface SearchCacheOptions {
  /** Searches (query, offset, page size) kept; 0 turns the cache off. */
  entries: number;
  /** A result is used for at most this long: books created by another process show up within it. */
  ttlMs: number;
}

interface Cached {
  at: number;
  books: Promise<Book[]>;
}

/**
 * `repository` with its searches cached: a search asked again within `ttlMs` is answered from memory (a search
 * through a catalogue's three text columns costs far more than the rest of the request). A book created through
 * this repository empties the cache, so this process sees its own writes at once; one created by another process
 * (PostgreSQL, several API processes) is seen within `ttlMs`. Concurrent identical searches share one query; a
 * failed one is not kept.
 */
export function withSearchCache(
  repository: BookRepository,
  options: SearchCacheOptions,
  now: () => number = Date.now,
): BookRepository {
  if (options.entries === 0) return repository;
  let cache = new LruCache<string, Cached>(options.entries);
  const search = (query: string, offset: number, limit: number): Promise<Book[]> => {
    const key = `${offset}:${limit}:${query}`;
    const hit = cache.get(key);
    if (hit !== undefined && now() - hit.at < options.ttlMs) return hit.books;
    const entries = cache;
    const books = repository.search(query, offset, limit);
    entries.set(key, { at: now(), books });
    books.catch(() => entries.delete(key));
    return books;
  };
  const create: BookRepository['create'] = async (input) => {
    const book = await repository.create(input);
    cache = new LruCache<string, Cached>(options.entries);
    return book;
  };
  return overriding(
    repository,
    new Map<PropertyKey, unknown>([
      ['search', search],
      ['create', create],
    ]),
  );
}
