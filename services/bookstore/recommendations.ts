/**
 * Recommendations: per user, each (title, author) scores one point for every time it appears in that user's
 * search results. The events are keyed by query, the state is per user: a first group (`<group>-by-user`)
 * repartitions the events by user id into `<topic>-by-user` (events without a user id are dropped there: empty
 * user ids are never stored), and the `recommendations` group keeps its table over that topic.
 */
import { jsonCodec } from '#herald';
import { type SearchEvent, searchEventCodec, userSearchCodec, type UserSearch } from './events.ts';
import { defineGroup, type Topology } from '#herald/processor';

/** At most this many books are scored per user; the lowest scores give way (bounded state). */
export const MAX_SCORED = 500;

/** `"title\u0000author"` → score. */
export type Scores = Record<string, number>;

export const scoresCodec = jsonCodec<Scores>();

export interface Recommendation {
  user_id: string;
  title: string;
  author: string;
  score: number;
}

export function addResults(scores: Scores | undefined, books: UserSearch['books']): Scores {
  const next: Scores = { ...scores };
  for (const b of books) {
    const key = `${b.title}\u0000${b.author}`;
    next[key] = (next[key] ?? 0) + 1;
  }
  const keys = Object.keys(next);
  if (keys.length <= MAX_SCORED) return next;
  const kept = keys.sort((a, b) => next[b] - next[a] || (a < b ? -1 : 1)).slice(0, MAX_SCORED);
  return Object.fromEntries(kept.map((k) => [k, next[k]]));
}

/** The user's top `n` books, score descending, then title. */
export function topRecommendations(userId: string, scores: Scores | undefined, n = 10): Recommendation[] {
  return Object.entries(scores ?? {})
    .map(([key, score]) => {
      const [title, author] = key.split('\u0000');
      return { user_id: userId, title, author, score };
    })
    .sort((a, b) => b.score - a.score || a.title.localeCompare(b.title) || a.author.localeCompare(b.author))
    .slice(0, n);
}

/** The repartitioning group: search events keyed by query → the same searches keyed by user id. */
export function byUserGroup(group: string, searches: string, byUser: string) {
  return defineGroup(`${group}-by-user`)
    .output(byUser, userSearchCodec)
    .input(searches, searchEventCodec, (ctx, event: SearchEvent | null) => {
      if (event === null || event.user_id === '') return;
      ctx.emit(byUser, event.user_id, { query: ctx.key, books: event.books });
    })
    .build();
}

/** The recommendations group: one score table per user. */
export function recommendationsGroup(group: string, byUser: string): Topology<Scores, Record<never, never>, Record<never, never>> {
  return defineGroup(group)
    .persist(scoresCodec)
    .input(byUser, userSearchCodec, (ctx, search: UserSearch | null) => {
      if (search === null || ctx.key === '') return;
      ctx.set(addResults(ctx.get(), search.books));
    })
    .build() as Topology<Scores, Record<never, never>, Record<never, never>>;
}
