/**
 * The search events and the tables built from them. A search event goes to `lr-book-searches`, keyed by the query,
 * valued with the user id (a field, never glued into the key, so a query may contain `:`) and the books found.
 * Recommendations are per user: their processor reads the events repartitioned by user id
 * (`<topic>-by-user`), so its table is co-partitioned with its input and scales across instances.
 */
import { jsonCodec } from '#herald';
import type { Book } from './book.ts';

/** The books of a search result as events carry them (what trends and recommendations need). */
export type FoundBook = Pick<Book, 'id' | 'title' | 'author'>;

export interface SearchEvent {
  /** The searching user's `uid` cookie; empty when the request had none. */
  user_id: string;
  books: FoundBook[];
}

/** The same search, keyed by user id, for the recommendations group. */
export interface UserSearch {
  query: string;
  books: FoundBook[];
}

const foundBooks = {
  type: 'array',
  items: {
    type: 'object',
    properties: { id: { type: 'integer' }, title: { type: 'string' }, author: { type: 'string' } },
    required: ['id', 'title', 'author'],
  },
};

export const searchEventCodec = jsonCodec<SearchEvent>({
  type: 'object',
  properties: { user_id: { type: 'string', maxLength: 64 }, books: foundBooks },
  required: ['user_id', 'books'],
});

export const userSearchCodec = jsonCodec<UserSearch>({
  type: 'object',
  properties: { query: { type: 'string' }, books: foundBooks },
  required: ['query', 'books'],
});

/** The topic names of a config. */
export function searchTopics(topic: string): { searches: string; byUser: string } {
  return { searches: topic, byUser: `${topic}-by-user` };
}
