import type { Attempt } from '../classify.ts';

/** How one destination is posted to (one connection pool in the posting thread). */
export interface PoolSettings {
  maxSockets: number;
  timeoutMs: number;
  /** `false` for destinations on Herald's own server (see `DestinationClient`). */
  keepAlive: boolean;
}

/** One request: id, pool, URL, body as `latin1` text (one char per byte, cheap to copy), headers. */
export type PostRequest = [id: number, pool: number, url: string, body: string, headers: Record<string, string>];

/** Messages to the posting thread. */
export type ToPoster =
  | { type: 'pool'; pool: number; settings: PoolSettings }
  | { type: 'post'; requests: PostRequest[] }
  | { type: 'abort'; ids: number[] }
  | { type: 'close' };

/** Messages from the posting thread: finished attempts, or that it has closed its connections. */
export type FromPoster = { type: 'results'; results: [id: number, attempt: Attempt][] } | { type: 'closed' };
