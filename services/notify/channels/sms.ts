/**
 * The SMS channel: `POST {url}` with JSON `{"to", "message", "request_id"}` and an `Idempotency-Key: <request_id>`
 * header, so a gateway that honours the key sends one SMS even if a resend crosses a lost answer. Failures become
 * Herald errors whose `retriable` flag steers the handler runtime: a gateway that is down, times out or answers
 * 408/425/429/5xx is retried; any other 4xx means the request itself is wrong and retrying cannot help, and neither
 * can a request that cannot even be made (an error of ours, not the gateway's).
 */
import { createHash } from 'node:crypto';
import { Agent, type Dispatcher } from 'undici';
import { HeraldError, httpAnswered, withHttpClientSpan } from '#herald';
import { isHeaderValue } from '#herald/kit';
import type { Notification } from '../topics.ts';
import { smsText } from './message.ts';

/** Options of an {@link SmsChannel}. */
export interface SmsChannelOptions {
  /** The gateway URL; resolved on each send (a local endpoint knows its port only once HTTP listens). */
  url: () => string | Promise<string>;
  /** Abandon a request after this long (then retriable `HERALD_TIMEOUT`). */
  timeoutMs: number;
}

/** The JSON an SMS gateway receives. */
export interface SmsRequest {
  to: string;
  message: string;
  request_id: string;
}

const RETRIABLE_STATUS = new Set([408, 425, 429]);

/**
 * The `Idempotency-Key` of a request id: the id itself when a header can carry it (the produce API accepts no
 * other), else — for records written before that check — a digest of it, stable across resends.
 */
export function idempotencyKey(requestId: string): string {
  if (isHeaderValue(requestId)) return requestId;
  return `sha256-${createHash('sha256').update(requestId).digest('hex')}`;
}

/**
 * Sends notification SMS through an HTTP gateway, over undici's dispatcher with keep-alive connections of its own
 * (`fetch` — WHATWG Request, Response and streams around the same client — cost several times more per SMS:
 * BENCHMARKS.md, Ingest).
 */
export class SmsChannel {
  readonly #options: SmsChannelOptions;
  readonly #agent = new Agent({ keepAliveTimeout: 4_000 });

  constructor(options: SmsChannelOptions) {
    this.#options = options;
  }

  /** Closes its connections. */
  close(): Promise<void> {
    return this.#agent.close();
  }

  /**
   * Sends the notification to `n.phone`; resolves once the gateway answered 2xx. `cancel` abandons the request
   * (the runtime aborts it when a shutdown stops waiting for the handler).
   * @throws HeraldError `HERALD_DESTINATION_FAILED` (retriable for 408/425/429/5xx and unreachable gateways, not
   * for other 4xx) or `HERALD_TIMEOUT`.
   */
  async send(n: Notification, cancel?: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
    const body: SmsRequest = { to: n.phone, message: smsText(n), request_id: n.request_id };
    let url: string;
    let headers: Record<string, string>;
    try {
      url = await abortable(this.#options.url(), signal);
      headers = { 'content-type': 'application/json', 'idempotency-key': idempotencyKey(n.request_id) };
    } catch (err) {
      throw cannotSend(err, signal, this.#options.timeoutMs);
    }
    await withHttpClientSpan('POST', url, headers, { 'herald.channel': 'sms' }, async (span) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch (err) {
        throw cannotSend(err, signal, this.#options.timeoutMs);
      }
      let answer: Dispatcher.ResponseData;
      try {
        answer = await this.#agent.request({
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal,
        });
      } catch (err) {
        throw isRefusedRequest(err) ? cannotSend(err, signal, this.#options.timeoutMs) : unreachable(err, this.#options.timeoutMs);
      }
      // Read the answer either way so the keep-alive connection can be reused.
      const text = await answer.body.text().catch(() => '');
      const response = { status: answer.statusCode, ok: answer.statusCode >= 200 && answer.statusCode < 300 };
      httpAnswered(span, response.status);
      if (response.ok) return;
      const retriable = response.status >= 500 || RETRIABLE_STATUS.has(response.status);
      throw new HeraldError(
        'HERALD_DESTINATION_FAILED',
        `SMS gateway answered ${response.status}: ${text.slice(0, 200)}`,
        {
          retriable,
          details: { status: response.status },
        },
      );
    });
  }
}

/** A request that cannot be built (a URL or header it refuses) fails the same way on every attempt. */
function cannotSend(err: unknown, signal: AbortSignal, timeoutMs: number): HeraldError {
  if (signal.aborted) return unreachable(err, timeoutMs);
  return new HeraldError('HERALD_DESTINATION_FAILED', `SMS request cannot be made: ${(err as Error).message}`, {
    cause: err,
    retriable: false,
  });
}

function unreachable(err: unknown, timeoutMs: number): HeraldError {
  if ((err as Error).name === 'TimeoutError') {
    return new HeraldError('HERALD_TIMEOUT', `SMS gateway did not answer within ${timeoutMs} ms`, { cause: err });
  }
  const code = (err as { code?: string }).code;
  const reason = code ? `${(err as Error).message} (${code})` : (err as Error).message;
  return new HeraldError('HERALD_DESTINATION_FAILED', `SMS gateway unreachable: ${reason}`, { cause: err });
}

/** undici's refusal to make a request (a header or body it cannot carry): the same on every attempt. */
function isRefusedRequest(err: unknown): boolean {
  return (err as { code?: string }).code === 'UND_ERR_INVALID_ARG';
}

/** `value`, or the signal's reason if it aborts first. */
function abortable<T>(value: T | Promise<T>, signal: AbortSignal): Promise<T> {
  if (!(value instanceof Promise)) return Promise.resolve(value);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    value.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
