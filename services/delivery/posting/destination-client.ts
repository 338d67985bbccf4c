import { AbortListeners } from '#herald/kit';
import type { Attempt } from '../classify.ts';
import { Http1Pool, InvalidRequest } from './http1-pool.ts';

/** Bytes of a failed response's body kept for the status's `lastError`. */
const ERROR_BODY_BYTES = 200;
const STOPPING = 'aborted: Herald is stopping';

/** Makes one attempt to POST to a destination (see {@link DestinationClient.post} for the contract). */
export interface Poster {
  post(url: string, body: Buffer, headers: Record<string, string>, signal?: AbortSignal): Promise<Attempt>;
}

interface Target {
  pool: Http1Pool;
  path: string;
  /** From credentials in the URL, if any. */
  authorization: string | undefined;
}

/**
 * POSTs to one destination over its own keep-alive connection pool (`Http1Pool`), so destinations never compete for
 * sockets (one that hangs holds only its own). The pool holds at most `maxSockets` connections — the destination's
 * concurrency.
 */
export class DestinationClient implements Poster {
  readonly #maxSockets: number;
  readonly #timeoutMs: number;
  readonly #keepAlive: boolean;
  readonly #targets = new Map<string, Target>();
  /** Requests in flight per abort signal, stopped together when it aborts. */
  readonly #bySignal = new AbortListeners<() => void>((stops) => {
    for (const stop of stops) stop();
  });

  /**
   * `keepAlive: false` for destinations on Herald's own HTTP server (the mocks): a kept-alive connection that
   * senders keep busy would hold that server's shutdown open.
   */
  constructor(maxSockets: number, timeoutMs: number, keepAlive = true) {
    this.#maxSockets = maxSockets;
    this.#timeoutMs = timeoutMs;
    this.#keepAlive = keepAlive;
  }

  /**
   * One attempt: resolves with the status (and a short body when not 2xx), or with a `timeout`/`connection` failure.
   * Never rejects. The whole attempt — connect, send, response — is bounded by the timeout; `signal` (shutdown)
   * aborts it as a connection failure.
   */
  post(url: string, body: Buffer, headers: Record<string, string>, signal?: AbortSignal): Promise<Attempt> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve({ failure: 'connection', message: STOPPING });
      if (signal === undefined) return void this.start(url, body, headers, resolve);
      let answered = false;
      const onAbort = () => stop();
      const stop = this.start(url, body, headers, (attempt) => {
        answered = true;
        this.#bySignal.delete(signal, onAbort);
        resolve(attempt);
      });
      if (!answered) this.#bySignal.add(signal, onAbort);
    });
  }

  /**
   * The same attempt as {@link post}, without an abort signal: `onAnswer` is called once with its outcome, and the
   * returned `stop` ends it at once as a connection failure (Herald stopping). The posting thread stops requests by
   * id with it: an `AbortController` and an `abort` listener per request were ~4% of that thread's busy time in the
   * send stage's profile; without them the thread took 33.1 µs/event instead of 37.0 (`delivery-stages`, embedded,
   * medians of 9 alternating runs).
   */
  start(url: string, body: Buffer, headers: Record<string, string>, onAnswer: (attempt: Attempt) => void): () => void {
    let target: Target;
    try {
      target = this.#target(url);
    } catch (err) {
      onAnswer({ failure: 'invalid', message: `not a URL a request can be sent to: ${(err as Error).message}` });
      return () => {};
    }
    let settled = false;
    let cancel: () => void = () => {};
    const finish = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      onAnswer(attempt);
    };
    const timer = setTimeout(() => {
      finish({ failure: 'timeout', message: `no complete answer within ${this.#timeoutMs} ms` });
      cancel();
    }, this.#timeoutMs);
    const requestHeaders: Record<string, string> =
      target.authorization === undefined ? headers : { ...headers, authorization: target.authorization };
    try {
      cancel = target.pool.post(target.path, requestHeaders, body, (outcome) => {
        if ('failure' in outcome) return finish({ failure: 'connection', message: outcome.failure });
        const { status, retryAfter, body: kept } = outcome.response;
        const text = kept === undefined ? '' : kept.subarray(0, ERROR_BODY_BYTES).toString('utf8').trim();
        finish({ status, retryAfter, ...(text ? { body: text } : {}) });
      });
    } catch (err) {
      // A header that cannot be written is refused on every attempt: permanent.
      finish({ failure: err instanceof InvalidRequest ? 'invalid' : 'connection', message: (err as Error).message });
    }
    return () => {
      finish({ failure: 'connection', message: STOPPING });
      cancel();
    };
  }

  /** Destroys its connections; call once the sender has drained. */
  close(): void {
    for (const { pool } of this.#targets.values()) pool.close();
    this.#targets.clear();
  }

  #target(url: string): Target {
    let target = this.#targets.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${parsed.protocol} is not HTTP`);
      const credentials = parsed.username
        ? `Basic ${Buffer.from(decodeURIComponent(`${parsed.username}:${parsed.password}`)).toString('base64')}`
        : undefined;
      target = {
        pool: new Http1Pool({
          protocol: parsed.protocol,
          hostname: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port),
          maxSockets: this.#maxSockets,
          keepAlive: this.#keepAlive,
          keepBodyBytes: ERROR_BODY_BYTES,
        }),
        path: `${parsed.pathname}${parsed.search}`,
        authorization: credentials,
      };
      this.#targets.set(url, target);
    }
    return target;
  }
}
