import { HeraldError, httpAnswered, SpanStatusCode, withHttpClientSpan } from '#herald';
import type { Semaphore } from '#herald/kit';
import { type Handler, HEADERS } from '#herald/runtime';
import { type Attempt, classify } from '../classify.ts';
import type { DestinationConfig } from '../config.ts';
import { EVENT_HEADERS, eventMeta } from '../event.ts';
import type { Poster } from '../posting/destination-client.ts';
import type { RateLimiter } from '../rate.ts';
import { SIGNATURE_HEADER, sign } from '../signature.ts';
import type { StatusStore } from '../status/store.ts';

export interface SenderOptions {
  destination: DestinationConfig;
  status: StatusStore;
  client: Poster;
  /** Caps requests in flight to the destination. */
  slots: Semaphore;
  limiter?: RateLimiter;
  /** The absolute URL to POST to (resolves a path on Herald's own server once it listens). */
  url: () => Promise<string>;
  /** Called once per 2xx with the ms since the event was accepted. */
  onDelivered?: (latencyMs: number) => void;
  /** Called once per attempt with what it came to and the ms from sending it to its answer (or failure). */
  onAttempt?: (attempt: Attempt, ms: number) => void;
}

/**
 * The sender of one destination: POSTs each record of the destination topic to the destination, one attempt per
 * call — the runtime's retry middleware around it decides about the next attempt and its backoff, and its dead
 * letter about giving up — and records every attempt in the status store before the record may be committed
 * (`holdCommit`: the user's next event does not wait for that write).
 *
 * Outcomes (see `classify.ts`): 2xx resolves (delivered); a permanent refusal throws a non-retriable
 * `HERALD_DESTINATION_FAILED` (dead-lettered at once); anything else throws a retriable one (retried; a
 * `Retry-After` is waited out first).
 *
 * An event the status store already shows delivered — or dead, unless this record is a replay of its dead letter —
 * is skipped: such a record is a copy the transformer wrote again after a crash, and sending it would deliver the
 * event twice or, worse, after later events of its user.
 */
export function sendHandler(options: SenderOptions): Handler<Buffer | null> {
  const { destination, status, client, slots, limiter } = options;
  return async (message) => {
    const meta = eventMeta(message.record);
    const state = status.finalState(meta, destination.id);
    const replay = message.headers[HEADERS.replayCount] !== undefined;
    if (state === 'delivered' || (state === 'dead' && !replay)) {
      message.handling.skipped = true;
      return;
    }
    const body = message.record.value ?? Buffer.alloc(0);
    const headers: Record<string, string> = {
      ...destination.headers,
      'content-type': message.headers[EVENT_HEADERS.contentType] ?? 'application/json',
      'idempotency-key': meta.id,
      'user-agent': 'herald-delivery',
      'herald-attempt': String(message.handling.attempts),
    };
    const recordHeaders = message.headers;
    for (const name in recordHeaders) {
      if (name.startsWith(EVENT_HEADERS.httpHeaderPrefix)) {
        headers[name.slice(EVENT_HEADERS.httpHeaderPrefix.length)] = recordHeaders[name]!;
      }
    }
    if (destination.secret !== undefined) headers[SIGNATURE_HEADER] = sign(destination.secret, body);
    const wait = limiter?.reserve() ?? 0;
    if (wait > 0) await message.sleep(wait);
    const url = await options.url();
    await slots.acquire(message.signal);
    const at = Date.now();
    let attempt: Awaited<ReturnType<Poster['post']>>;
    try {
      attempt = await withHttpClientSpan(
        'POST',
        url,
        headers,
        { 'herald.destination': destination.id, 'herald.attempt': message.handling.attempts },
        (span) => {
          const answer = client.post(url, body, headers, message.signal);
          // Not an async function: with nothing recorded (tracing off), the attempt costs no promise of its own.
          if (!span.isRecording()) return answer;
          return answer.then((a) => {
            if ('status' in a) httpAnswered(span, a.status);
            else span.setStatus({ code: SpanStatusCode.ERROR, message: `${a.failure}: ${a.message}` });
            return a;
          });
        },
      );
    } finally {
      slots.release();
    }
    // Delivered is when the destination answered, not when the request began.
    const answeredAt = Date.now();
    options.onAttempt?.(attempt, answeredAt - at);
    const outcome = classify(attempt);
    const error = outcome.kind === 'delivered' ? undefined : outcome.reason;
    const first = message.handling.attempts === 1;
    // The user's next event need not wait for this bookkeeping, but the commit does.
    message.holdCommit(
      status.attempted(meta, destination.id, { ok: outcome.kind === 'delivered', error, at, answeredAt }, first).catch((err) => {
        message.logger.error({ err }, 'recording a delivery attempt failed');
      }),
    );
    if (outcome.kind === 'delivered') {
      options.onDelivered?.(Date.now() - meta.receivedAtMs);
      return;
    }
    const failure = new HeraldError('HERALD_DESTINATION_FAILED', `${destination.id}: ${outcome.reason}`, {
      retriable: outcome.kind === 'retriable',
      details: { destination: destination.id, status: 'status' in attempt ? attempt.status : undefined },
    });
    if (outcome.kind === 'retriable' && outcome.retryAfterMs !== undefined && outcome.retryAfterMs > 0) {
      await message.sleep(outcome.retryAfterMs);
    }
    throw failure;
  };
}
