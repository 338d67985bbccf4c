/**
 * Trends: a group over the search events, its table keyed by query — how often it was searched, its latest
 * results, and its searches per 5-minute bucket of event time for the last 24 hours (at most 288 buckets a query,
 * so the state stays bounded), from which `?window=1h|24h` sums a hopping window: the buckets in the window's
 * length before now, moving every 5 minutes.
 */
import { jsonCodec } from '#herald';
import { type FoundBook, type SearchEvent, searchEventCodec } from './events.ts';
import { defineGroup, type Topology } from '#herald/processor';

export const BUCKET_MS = 5 * 60_000;
const KEEP_MS = 24 * 3_600_000;

export interface TrendState {
  count: number;
  books: FoundBook[];
  /** Event time of the latest search, epoch ms. */
  latest: number;
  /** `[bucket start (epoch ms), searches]`, oldest first, none older than 24 hours before `latest`. */
  buckets: [number, number][];
}

export const trendCodec = jsonCodec<TrendState>();

/** The state after one more search of the query at event time `at`. */
export function addSearch(state: TrendState | undefined, books: FoundBook[], at: number): TrendState {
  const start = at - (at % BUCKET_MS);
  const latest = Math.max(state?.latest ?? at, at);
  const buckets = (state?.buckets ?? []).filter(([b]) => b > latest - KEEP_MS);
  const i = buckets.findIndex(([b]) => b === start);
  if (i >= 0) buckets[i] = [start, buckets[i][1] + 1];
  else if (start > latest - KEEP_MS) {
    buckets.push([start, 1]);
    buckets.sort((a, b) => a[0] - b[0]);
  }
  // The latest results are those of the latest search by event time; a late event only counts.
  const newest = state === undefined || at >= state.latest;
  return { count: (state?.count ?? 0) + 1, books: newest ? books : state.books, latest, buckets };
}

/** Searches of the query in the `windowMs` before `now` (the hopping window the buckets give). */
export function countIn(state: TrendState, windowMs: number, now: number): number {
  let n = 0;
  for (const [start, count] of state.buckets) if (start + BUCKET_MS > now - windowMs && start <= now) n += count;
  return n;
}

export function trendsGroup(group: string, searches: string): Topology<TrendState, Record<never, never>, Record<never, never>> {
  return defineGroup(group)
    .persist(trendCodec)
    .input(searches, searchEventCodec, (ctx, event: SearchEvent | null) => {
      if (event === null) return;
      ctx.set(addSearch(ctx.get(), event.books, ctx.timestamp));
    })
    .build() as Topology<TrendState, Record<never, never>, Record<never, never>>;
}
