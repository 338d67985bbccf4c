/**
 * The queries the API answers from the processors' tables, through views (local copies of the tables, kept up to
 * date from their changelogs).
 */
import type { RecommendationsReader, TrendsReader } from './api.ts';
import { type Scores, topRecommendations } from './recommendations.ts';
import { countIn, type TrendState } from './trends.ts';
import type { View } from '#herald/processor';

export interface Trend {
  query: string;
  count: number;
  books: TrendState['books'];
  /** Event time of the latest search, ISO 8601. */
  latest: string;
}

/** `GET /trends`: every query of the table ranked (the table holds one row per distinct query). */
export function trendsReader(view: View<TrendState>, now: () => number = Date.now): TrendsReader {
  return {
    top(n: number, windowMs?: number): Trend[] {
      const ranked: Trend[] = [];
      for (const [query, state] of view.entries()) {
        const count = windowMs === undefined ? state.count : countIn(state, windowMs, now());
        if (count > 0) ranked.push({ query, count, books: state.books, latest: new Date(state.latest).toISOString() });
      }
      ranked.sort((a, b) => b.count - a.count || (a.latest < b.latest ? 1 : a.latest > b.latest ? -1 : 0));
      return ranked.slice(0, n);
    },
  };
}

export function recommendationsReader(view: View<Scores>): RecommendationsReader {
  return { forUser: (uid: string) => topRecommendations(uid, view.get(uid)) };
}
