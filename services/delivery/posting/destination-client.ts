import { type Dispatcher, Pool } from 'undici';
import { AbortListeners } from '#herald/kit';
import type { Attempt } from '../classify.ts';

/** Bytes of a failed response's body kept for the status's `lastError`. */
const ERROR_BODY_BYTES = 200;
const STOPPING = 'aborted: Herald is stopping';
/** undici's code for a request it refuses to make. */
const INVALID_ARGUMENT = 'UND_ERR_INVALID_ARG';

/** Makes one attempt to POST to a destination (see {@link DestinationClient.post} for the contract). */
export interface Poster {
  post(url: string, body: Buffer, headers: Record<string, string>, signal?: AbortSignal): Promise<Attempt>;
}

interface Target {
  pool: Pool;
  path: string;
  /** From credentials in the URL, if any. */
  authorization: string | undefined;
}

/**
 * POSTs to one destination over its own keep-alive connection pool (undici), so destinations never compete for
 * sockets (one that hangs holds only its own). The pool holds at most `maxSockets` connections — the destination's
 * concurrency. Requests go through undici's dispatcher interface directly: no stream or promise per response, the
 * cheapest way Node has to make HTTP/1.1 requests (about a quarter less CPU per request than `node:http`).
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
    const target = this.#target(url);
    let settled = false;
    let controller: Dispatcher.DispatchController | undefined;
    /** Set before the request started: it is aborted as it starts. */
    let abortWith: Error | undefined;
    let status = 0;
    let retryAfter: string | null = null;
    let kept: Buffer[] | undefined;
    let keptBytes = 0;
    const finish = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      onAnswer(attempt);
    };
    const stop = (attempt: Attempt) => {
      finish(attempt);
      const reason = new Error('message' in attempt ? attempt.message : 'stopped');
      if (controller === undefined) abortWith = reason;
      else controller.abort(reason);
    };
    const timer = setTimeout(
      () => stop({ failure: 'timeout', message: `no complete answer within ${this.#timeoutMs} ms` }),
      this.#timeoutMs,
    );
    const requestHeaders: Record<string, string> =
      target.authorization === undefined ? headers : { ...headers, authorization: target.authorization };
    target.pool.dispatch(
      {
        method: 'POST',
        path: target.path,
        headers: requestHeaders,
        body,
        reset: !this.#keepAlive,
        // The attempt's own timer bounds the whole attempt.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      {
        onRequestStart(started) {
          controller = started;
          if (abortWith !== undefined) started.abort(abortWith);
        },
        onResponseStart(_controller, statusCode, responseHeaders) {
          status = statusCode;
          const value = responseHeaders['retry-after'];
          retryAfter = value === undefined ? null : Array.isArray(value) ? value[0] : value;
          if (statusCode < 200 || statusCode >= 300) kept = [];
        },
        onResponseData(_controller, chunk) {
          // The body of a success is not needed (undici drains it so the connection can be reused).
          if (kept !== undefined && keptBytes < ERROR_BODY_BYTES) {
            kept.push(chunk);
            keptBytes += chunk.length;
          }
        },
        onResponseEnd() {
          const text =
            kept === undefined ? '' : Buffer.concat(kept).subarray(0, ERROR_BODY_BYTES).toString('utf8').trim();
          finish({ status, retryAfter, ...(text ? { body: text } : {}) });
        },
        onResponseError(_controller, err: NodeJS.ErrnoException) {
          const message = err.code ? `${err.code} ${err.message}` : err.message;
          // undici refusing the request itself (a header it cannot send) refuses it on every attempt.
          finish({ failure: err.code === INVALID_ARGUMENT ? 'invalid' : 'connection', message });
        },
      },
    );
    return () => stop({ failure: 'connection', message: STOPPING });
  }

  /** Destroys its connections; call once the sender has drained. */
  close(): void {
    for (const { pool } of this.#targets.values()) void pool.destroy().catch(() => {});
    this.#targets.clear();
  }

  #target(url: string): Target {
    let target = this.#targets.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      const credentials = parsed.username
        ? `Basic ${Buffer.from(decodeURIComponent(`${parsed.username}:${parsed.password}`)).toString('base64')}`
        : undefined;
      target = {
        pool: new Pool(parsed.origin, {
          connections: this.#maxSockets,
          connect: { timeout: this.#timeoutMs },
        }),
        path: `${parsed.pathname}${parsed.search}`,
        authorization: credentials,
      };
      this.#targets.set(url, target);
    }
    return target;
  }
}
