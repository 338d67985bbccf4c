import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiter } from '../../services/delivery/rate.ts';

/** An event Herald acknowledged (202) to the load generator. */
export interface AcceptedEvent {
  id: string;
  userId: string;
  /** The event's number among its user's events: the order it was sent and acknowledged in. */
  seq: number;
}

export interface LoadOptions {
  users: number;
  /** Events per user. */
  events: number;
  /** Herald's current base URL; `undefined` while it is down (the generator waits). */
  baseUrl: () => string | undefined;
  /** Events of this many users per request: 1 uses `POST /publish`, more `POST /publish/batch`. Default 1. */
  batchUsers?: number;
  /** Request loops running at once. Default 64. */
  concurrency?: number;
  /** Events per second at most, overall (unset: as fast as Herald answers). */
  ratePerSec?: number;
  /** Payload padding, bytes. Default 0. */
  padBytes?: number;
  /** User ids are `<userPrefix><n>`. Default `user-`. */
  userPrefix?: string;
  /** Gives up when a request cannot be placed for this long. Default 120 s. */
  stallTimeoutMs?: number;
  /** Called with each acknowledged event and the time it was acknowledged (performance.now()). */
  onAccepted?: (event: AcceptedEvent, at: number) => void;
}

export interface LoadResult {
  accepted: AcceptedEvent[];
  /** Requests tried again after a connection error or a 5xx (their events may have been written anyway). */
  retriedRequests: number;
  elapsedMs: number;
}

/**
 * Sends `events` events for each of `users` users, each user's events strictly one after another (the next only
 * after the previous one's 202) so that the order Herald accepted them in is known: `payload.seq`. Users are
 * grouped `batchUsers` to a request; groups run concurrently.
 *
 * A request that fails with a connection error or a 5xx (Herald being killed and restarted) is sent again until
 * it is acknowledged: its events then exist once or twice in Herald (the first write may have happened), always
 * in the right order — duplicates of the same `seq`, never reordered.
 */
export async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const batchUsers = Math.max(1, options.batchUsers ?? 1);
  const prefix = options.userPrefix ?? 'user-';
  const pad = 'x'.repeat(options.padBytes ?? 0);
  const limiter = options.ratePerSec ? new RateLimiter(options.ratePerSec) : undefined;
  const groups: string[][] = [];
  for (let u = 0; u < options.users; u += batchUsers) {
    groups.push(Array.from({ length: Math.min(batchUsers, options.users - u) }, (_, i) => `${prefix}${u + i}`));
  }
  const accepted: AcceptedEvent[] = [];
  let retriedRequests = 0;

  const send = async (users: string[], seq: number) => {
    const bodies = users.map((userId) => ({ userId, payload: { seq, pad } }));
    const single = bodies.length === 1 && batchUsers === 1;
    if (limiter) {
      const waits = bodies.map(() => limiter.reserve());
      const wait = waits[waits.length - 1];
      if (wait > 0) await sleep(wait);
    }
    const deadline = performance.now() + (options.stallTimeoutMs ?? 120_000);
    for (;;) {
      const base = options.baseUrl();
      if (base !== undefined) {
        try {
          const response = await fetch(`${base}/publish${single ? '' : '/batch'}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(single ? bodies[0] : bodies),
          });
          const text = await response.text();
          if (response.status === 202) {
            const parsed = JSON.parse(text) as { id?: string; ids?: string[] };
            const ids = single ? [parsed.id!] : parsed.ids!;
            const at = performance.now();
            users.forEach((userId, i) => {
              const event = { id: ids[i], userId, seq };
              accepted.push(event);
              options.onAccepted?.(event, at);
            });
            return;
          }
          if (response.status < 500) throw new Error(`POST /publish answered ${response.status}: ${text}`);
        } catch (err) {
          if (!(err instanceof TypeError)) throw err; // fetch's network errors are TypeErrors
        }
        retriedRequests += 1;
      }
      if (performance.now() > deadline) throw new Error('Herald did not take events for too long; giving up');
      await sleep(100);
    }
  };

  let next = 0;
  const loop = async () => {
    for (let g = next++; g < groups.length; g = next++) {
      for (let seq = 0; seq < options.events; seq++) await send(groups[g], seq);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 64, groups.length) }, loop));
  return { accepted, retriedRequests, elapsedMs: performance.now() - started };
}
