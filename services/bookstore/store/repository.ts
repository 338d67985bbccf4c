import type { Book, BookInput } from '../book.ts';

/**
 * Where the books live: SQLite in the data dir by default, PostgreSQL when configured. Both load the starter
 * catalogue once, into an empty database, on their first start (a marker remembers it, so books deleted later
 * do not come back).
 */
export interface BookRepository {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Books whose title, author or description contains `query` (case-insensitive, as the original's LIKE; every
   * book for an empty query), in id order, `limit` of them from `offset`.
   */
  search(query: string, offset: number, limit: number): Promise<Book[]>;
  create(input: BookInput): Promise<Book>;
}

/** `query` as a LIKE pattern matching it anywhere, with `\` escaping LIKE's wildcards. */
export function containsPattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
