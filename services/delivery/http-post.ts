import http from 'node:http';
import https from 'node:https';
import type { Attempt } from './classify.ts';

/** Bytes of a failed response's body kept for the status's `lastError`. */
const ERROR_BODY_BYTES = 200;

/** Requests in flight per abort signal, so that one listener per signal (not per request) can stop them all. */
type InFlight = Set<() => void>;

/**
 * POSTs to one destination over its own keep-alive connection pool, so destinations never compete for sockets
 * (one that hangs holds only its own). The pool holds at most `maxSockets` connections — the destination's
 * concurrency.
 */
export class DestinationClient {
  readonly #agent: http.Agent;
  readonly #timeoutMs: number;
  readonly #targets = new Map<string, { transport: typeof http | typeof https; options: http.RequestOptions }>();
  readonly #bySignal = new WeakMap<AbortSignal, InFlight>();

  /**
   * `keepAlive: false` for destinations on Herald's own HTTP server (the mocks): a kept-alive connection that
   * senders keep busy would hold that server's shutdown open.
   */
  constructor(url: string, maxSockets: number, timeoutMs: number, keepAlive = true) {
    const options = { keepAlive, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
    this.#agent = url.startsWith('https:') ? new https.Agent(options) : new http.Agent(options);
    this.#timeoutMs = timeoutMs;
  }

  /**
   * One attempt: resolves with the status (and a short body when not 2xx), or with a `timeout`/`connection` failure.
   * Never rejects. The whole attempt — connect, send, response — is bounded by the timeout; `signal` (shutdown)
   * aborts it as a connection failure.
   */
  post(url: string, body: Buffer, headers: Record<string, string>, signal?: AbortSignal): Promise<Attempt> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve({ failure: 'connection', message: 'aborted: Herald is stopping' });
      const { transport, options } = this.#target(url);
      const request = transport.request({
        ...options,
        headers: { ...headers, 'content-length': String(body.length) },
      });
      const inFlight = signal === undefined ? undefined : this.#inFlight(signal);
      let settled = false;
      const finish = (attempt: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inFlight?.delete(onAbort);
        resolve(attempt);
      };
      const onAbort = () => {
        finish({ failure: 'connection', message: 'aborted: Herald is stopping' });
        request.destroy();
      };
      inFlight?.add(onAbort);
      const timer = setTimeout(() => {
        finish({ failure: 'timeout', message: `no complete answer within ${this.#timeoutMs} ms` });
        request.destroy();
      }, this.#timeoutMs);
      request.on('error', (err: NodeJS.ErrnoException) =>
        finish({ failure: 'connection', message: err.code ? `${err.code} ${err.message}` : err.message }),
      );
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          // The body of a success is not needed; the stream is still drained so the socket can be reused.
          if (!ok && kept < ERROR_BODY_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        response.on('end', () => {
          const text = ok ? '' : Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString('utf8').trim();
          const retryAfter = response.headers['retry-after'];
          finish({ status, retryAfter: retryAfter ?? null, ...(text ? { body: text } : {}) });
        });
        response.on('error', (err) => finish({ failure: 'connection', message: err.message }));
      });
      // As latin1 text the body goes out in one write with the headers (a Buffer costs a second chunk); latin1 maps
      // every byte to itself, so the bytes on the wire are the record's exactly.
      request.end(body.toString('latin1'), 'latin1');
    });
  }

  /** Destroys its connections; call once the sender has drained. */
  close(): void {
    this.#agent.destroy();
  }

  #target(url: string) {
    let target = this.#targets.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      const https_ = parsed.protocol === 'https:';
      target = {
        transport: https_ ? https : http,
        options: {
          method: 'POST',
          agent: this.#agent,
          protocol: parsed.protocol,
          hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
          port: parsed.port || (https_ ? 443 : 80),
          path: `${parsed.pathname}${parsed.search}`,
          ...(parsed.username ? { auth: decodeURIComponent(`${parsed.username}:${parsed.password}`) } : {}),
        },
      };
      this.#targets.set(url, target);
    }
    return target;
  }

  #inFlight(signal: AbortSignal): InFlight {
    let set = this.#bySignal.get(signal);
    if (set === undefined) {
      const requests: InFlight = new Set();
      set = requests;
      this.#bySignal.set(signal, requests);
      signal.addEventListener(
        'abort',
        () => {
          for (const abort of [...requests]) abort();
        },
        { once: true },
      );
    }
    return set;
  }
}
