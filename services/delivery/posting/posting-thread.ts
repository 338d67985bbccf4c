import type { Logger } from 'pino';
import type { Component } from '../../../src/runtime/lifecycle.ts';
import type { Attempt } from '../classify.ts';
import { ThreadLink } from '../thread-link.ts';
import type { Poster } from './destination-client.ts';
import type { FromPoster, PoolSettings, PostRequest, ToPoster } from './protocol.ts';

const STOPPING: Attempt = { failure: 'connection', message: 'aborted: Herald is stopping' };

interface Pending {
  resolve(attempt: Attempt): void;
  signal: AbortSignal | undefined;
}

/**
 * Makes the HTTP requests of every destination on a worker thread of its own, so that the event loop running the
 * broker, the handlers and the API does not also carry the sockets of thousands of requests a second — at two
 * requests per event (two destinations), HTTP was the largest share of that loop's work. Requests go over in one
 * message per event-loop turn, their results come back the same way; each destination keeps its own connection
 * pool there (see `DestinationClient`), so destinations still never compete for sockets.
 *
 * A lifecycle component: `start` spawns the thread, `stop` (after the senders have drained) closes the pools and
 * ends it. If the thread dies, requests in flight resolve as connection failures (retried like any other) and the
 * next request starts a new thread.
 */
export class PostingThread implements Component {
  readonly name = 'delivery-posting-thread';
  readonly #pools: PoolSettings[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #bySignal = new WeakMap<AbortSignal, Set<number>>();
  readonly #thread: ThreadLink<ToPoster, FromPoster>;
  #outbox: PostRequest[] = [];
  #scheduled = false;
  #nextId = 1;
  #stopped = false;

  /** `script`: the thread's entry (tests substitute one); default `thread.ts`. */
  constructor(logger: Logger, script = new URL('./thread.ts', import.meta.url)) {
    this.#thread = new ThreadLink<ToPoster, FromPoster>({
      script,
      name: 'delivery posting thread',
      logger,
      onMessage: (message) => {
        if (message.type !== 'results') return;
        for (const [id, attempt] of message.results) this.#settle(id, attempt);
      },
      onExit: (code) =>
        this.#settleAll({ failure: 'connection', message: `the posting thread stopped (exit code ${code})` }),
      onStart: (post) =>
        this.#pools.forEach((settings, pool) => post({ type: 'pool', pool, settings } satisfies ToPoster)),
    });
  }

  /** A poster for one destination: its own pool of `settings.maxSockets` connections in the thread. */
  poster(settings: PoolSettings): Poster {
    const pool = this.#pools.push(settings) - 1;
    this.#thread.postIfRunning({ type: 'pool', pool, settings });
    return { post: (url, body, headers, signal) => this.#post(pool, url, body, headers, signal) };
  }

  async start(): Promise<void> {
    this.#thread.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#settleAll(STOPPING);
    await this.#thread.close();
  }

  #post(
    pool: number,
    url: string,
    body: Buffer,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<Attempt> {
    if (this.#stopped || signal?.aborted) return Promise.resolve(STOPPING);
    return new Promise((resolve) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve, signal });
      if (signal !== undefined) this.#track(signal, id);
      this.#outbox.push([id, pool, url, body.toString('latin1'), headers]);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    // Requests aborted while they waited here are not sent at all.
    const requests = this.#outbox.filter(([id]) => this.#pending.has(id));
    this.#outbox = [];
    if (requests.length === 0 || this.#stopped) return;
    this.#thread.post({ type: 'post', requests });
  }

  /** Resolves request `id` (once) and forgets it. */
  #settle(id: number, attempt: Attempt): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (pending.signal !== undefined) this.#bySignal.get(pending.signal)?.delete(id);
    pending.resolve(attempt);
  }

  #settleAll(attempt: Attempt): void {
    this.#outbox = [];
    for (const id of [...this.#pending.keys()]) this.#settle(id, attempt);
  }

  /** One listener per signal: when it aborts, its requests resolve at once and the thread drops them. */
  #track(signal: AbortSignal, id: number): void {
    let ids = this.#bySignal.get(signal);
    if (ids === undefined) {
      const tracked = new Set<number>();
      ids = tracked;
      this.#bySignal.set(signal, tracked);
      signal.addEventListener(
        'abort',
        () => {
          const aborted = [...tracked];
          for (const request of aborted) this.#settle(request, STOPPING);
          this.#thread.postIfRunning({ type: 'abort', ids: aborted });
        },
        { once: true },
      );
    }
    ids.add(id);
  }
}
