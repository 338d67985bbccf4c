/** What one HTTP attempt to a destination came to. */
export type Attempt =
  | { status: number; retryAfter?: string | null; body?: string }
  /** No response: timeout, refused or reset connection, DNS failure… */
  | { failure: 'timeout' | 'connection'; message: string }
  /** Not sent: the HTTP client refused the request itself (a header value it cannot carry) — every time. */
  | { failure: 'invalid'; message: string };

/**
 * How the sender treats an attempt:
 * - `delivered`: 2xx.
 * - `permanent`: the destination refused this event and would refuse it again (4xx other than 408 and 429, and
 *   anything else outside 2xx–5xx such as a 3xx redirect, which Herald does not follow): dead-lettered at once.
 *   A request the HTTP client refuses to make (`invalid`) is permanent too: no later attempt can send it.
 * - `retriable`: the destination may accept it later (5xx, 408, 429, timeout, connection error).
 *   `retryAfterMs` carries a `Retry-After` the destination asked for (429/503), if any.
 */
export type Outcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'permanent'; status?: number; reason: string }
  | { kind: 'retriable'; status?: number; reason: string; retryAfterMs?: number };

/** Longest `Retry-After` Herald honours; a destination cannot park a user's events for longer with one answer. */
const MAX_RETRY_AFTER_MS = 300_000;

export function classify(attempt: Attempt, now = Date.now()): Outcome {
  if ('failure' in attempt) {
    const reason = `${attempt.failure}: ${attempt.message}`;
    return attempt.failure === 'invalid' ? { kind: 'permanent', reason } : { kind: 'retriable', reason };
  }
  const { status } = attempt;
  const reason = `HTTP ${status}${attempt.body ? `: ${attempt.body}` : ''}`;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) {
    const retryAfterMs = parseRetryAfter(attempt.retryAfter, now);
    return retryAfterMs === undefined
      ? { kind: 'retriable', status, reason }
      : { kind: 'retriable', status, reason, retryAfterMs };
  }
  return { kind: 'permanent', status, reason };
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from `now`, capped; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}
