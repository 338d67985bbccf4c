import type { Logger } from 'pino';
import type { Component } from '#herald';
import { AbortListeners, scriptBeside, ThreadLink, TurnBatcher } from '#herald/kit';
import type { Attempt } from '../classify.ts';
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
  readonly stage = 'threads' as const;
  readonly #pools: PoolSettings[] = [];
  readonly #pending = new Map<number, Pending>();
  /** Requests by the signal that aborts them: when it does, they resolve at once and the thread drops them. */
  readonly #bySignal = new AbortListeners<number>((ids) => {
    for (const id of ids) this.#settle(id, STOPPING);
    this.#thread.postIfRunning({ type: 'abort', ids });
  });
  readonly #thread: ThreadLink<ToPoster, FromPoster>;
  /** Requests of this turn, sent to the thread in one message. */
  readonly #requests = new TurnBatcher<PostRequest>((requests) => this.#flush(requests));
  #nextId = 1;
  #stopped = false;

  /** `script`: the thread's entry (tests substitute one); default `thread.ts`. */
  constructor(logger: Logger, script = scriptBeside(import.meta.url, './thread')) {
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
      if (signal !== undefined) this.#bySignal.add(signal, id);
      this.#requests.push([id, pool, url, body.toString('latin1'), headers]);
    });
  }

  #flush(batch: PostRequest[]): void {
    // Requests aborted while they waited here are not sent at all.
    const requests = batch.filter(([id]) => this.#pending.has(id));
    if (requests.length === 0 || this.#stopped) return;
    this.#thread.post({ type: 'post', requests });
  }

  /** Resolves request `id` (once) and forgets it. */
  #settle(id: number, attempt: Attempt): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (pending.signal !== undefined) this.#bySignal.delete(pending.signal, id);
    pending.resolve(attempt);
  }

  #settleAll(attempt: Attempt): void {
    this.#requests.drop();
    for (const id of [...this.#pending.keys()]) this.#settle(id, attempt);
  }
}
