import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Component } from '../../../src/runtime/lifecycle.ts';
import type { Attempt } from '../classify.ts';
import type { Poster } from './destination-client.ts';
import type { FromPoster, PoolSettings, PostRequest, ToPoster } from './protocol.ts';

const STOPPING: Attempt = { failure: 'connection', message: 'aborted: Herald is stopping' };
/** How long `stop` waits for the thread to close its connections before terminating it. */
const CLOSE_TIMEOUT_MS = 2_000;

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
  readonly #logger: Logger;
  readonly #pools: PoolSettings[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #bySignal = new WeakMap<AbortSignal, Set<number>>();
  #worker: Worker | undefined;
  #outbox: PostRequest[] = [];
  #scheduled = false;
  #nextId = 1;
  #stopped = false;
  readonly #script: URL;

  /** `script`: the thread's entry (tests substitute one); default `thread.ts`. */
  constructor(logger: Logger, script = new URL('./thread.ts', import.meta.url)) {
    this.#logger = logger;
    this.#script = script;
  }

  /** A poster for one destination: its own pool of `settings.maxSockets` connections in the thread. */
  poster(settings: PoolSettings): Poster {
    const pool = this.#pools.push(settings) - 1;
    this.#worker?.postMessage({ type: 'pool', pool, settings } satisfies ToPoster);
    return { post: (url, body, headers, signal) => this.#post(pool, url, body, headers, signal) };
  }

  async start(): Promise<void> {
    this.#spawn();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#settleAll(STOPPING);
    if (worker === undefined) return;
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      worker.on('message', (message: FromPoster) => {
        if (message.type === 'closed') {
          clearTimeout(timer);
          resolve();
        }
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    worker.postMessage({ type: 'close' } satisfies ToPoster);
    await closed;
    await worker.terminate();
  }

  #spawn(): Worker {
    const worker = new Worker(this.#script);
    worker.on('message', (message: FromPoster) => {
      if (message.type !== 'results') return;
      for (const [id, attempt] of message.results) this.#settle(id, attempt);
    });
    worker.on('error', (err) => this.#logger.error({ err }, 'the delivery posting thread failed'));
    worker.once('exit', (code) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      if (!this.#stopped) this.#logger.error({ code }, 'the delivery posting thread stopped; starting another');
      this.#settleAll({ failure: 'connection', message: `the posting thread stopped (exit code ${code})` });
    });
    this.#pools.forEach((settings, pool) => worker.postMessage({ type: 'pool', pool, settings } satisfies ToPoster));
    this.#worker = worker;
    return worker;
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
    const worker = this.#worker ?? this.#spawn();
    worker.postMessage({ type: 'post', requests } satisfies ToPoster);
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
          this.#worker?.postMessage({ type: 'abort', ids: aborted } satisfies ToPoster);
        },
        { once: true },
      );
    }
    ids.add(id);
  }
}
