/**
 * The queries the API answers from the processors' tables, through views (local copies of the tables, kept up to
 * date from their changelogs).
 */
import type { RecommendationsReader, TrendsReader } from './api.ts';
import { type Scores, topRecommendations } from './recommendations.ts';
import { BUCKET_MS, countIn, type TrendState } from './trends.ts';
import type { View } from '#herald/processor';

export interface Trend {
  query: string;
  count: number;
  books: TrendState['books'];
  /** Event time of the latest search, ISO 8601. */
  latest: string;
}

/**
 * `GET /trends`: every query of the table ranked (one row per distinct query). The ranking is kept until the view
 * applies another change (or, for a window, the next 5-minute step begins): reads between changes cost a lookup,
 * not a pass over the table (a pass over 200 queries took ~0.8 ms, and 1,300 reads/s saturated a core).
 */
export function trendsReader(view: View<TrendState>, now: () => number = Date.now): TrendsReader {
  const cache = new Map<string, Trend[]>();
  let cachedAt = '';
  return {
    top(n: number, windowMs?: number): Trend[] {
      const at = view.positions().map((p) => p.position).join(',');
      if (at !== cachedAt) {
        cache.clear();
        cachedAt = at;
      }
      const key = windowMs === undefined ? 'all' : `${windowMs}@${Math.floor(now() / BUCKET_MS)}`;
      let ranked = cache.get(key);
      if (ranked === undefined) {
        ranked = rank(view, windowMs, now());
        cache.set(key, ranked);
      }
      return ranked.slice(0, n);
    },
  };
}

function rank(view: View<TrendState>, windowMs: number | undefined, now: number): Trend[] {
  const ranked: Trend[] = [];
  for (const [query, state] of view.entries()) {
    const count = windowMs === undefined ? state.count : countIn(state, windowMs, now);
    if (count > 0) ranked.push({ query, count, books: state.books, latest: new Date(state.latest).toISOString() });
  }
  ranked.sort((a, b) => b.count - a.count || (a.latest < b.latest ? 1 : a.latest > b.latest ? -1 : 0));
  return ranked;
}

export function recommendationsReader(view: View<Scores>): RecommendationsReader {
  return { forUser: (uid: string) => topRecommendations(uid, view.get(uid)) };
}
