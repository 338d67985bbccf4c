/**
 * The `bookstore` config section. With every default, `npm start` keeps the books in SQLite in the data dir and
 * runs the API, the page and both processor groups; `database.url` switches the books to PostgreSQL and `role`
 * picks what one process runs.
 */
import { integer, oneOf, string } from '#herald';
import type { ConfigOf } from '#herald';

const NAME = /^[a-zA-Z0-9._-]{1,200}$/;

export const bookstoreConfigSchema = {
  role: oneOf('all', 'what this process runs: everything, the web service, or one processor group', [
    'all',
    'web',
    'trends',
    'recommendations',
  ]),
  topic: string('lr-book-searches', 'topic of search events (key: the query)', NAME, 'a topic name'),
  partitions: integer(3, 'partitions of the search topics when they are created', 1, 10_000),
  pageSize: integer(5, 'books per page of GET /api/books', 1, 100),
  database: {
    url: string(
      '',
      'PostgreSQL URL, e.g. postgres://user@127.0.0.1:5432/books (empty: SQLite in <dataDir>/bookstore/books.db)',
      /^(|postgres(ql)?:\/\/\S+)$/,
      'a postgres:// URL or empty',
    ),
    poolSize: integer(10, 'PostgreSQL: connections of the pool', 1, 1_000),
  },
  searchCache: {
    entries: integer(1_000, 'searches (query, offset) answered from memory when asked again (0: none)', 0, 1_000_000),
    ttlMs: integer(1_000, "a cached search is used this long at most (books another process created show up within it)", 1, 3_600_000),
  },
  trends: {
    group: string('trends', "the trends processor's group (its table: <group>-table)", NAME, 'a group name'),
  },
  recommendations: {
    group: string('recommendations', "the recommendations processor's group", NAME, 'a group name'),
  },
};

export type BookstoreConfig = ConfigOf<typeof bookstoreConfigSchema>;
