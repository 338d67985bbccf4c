import { failureLogFields, isRetriable } from '../../errors.ts';
import { spanEvent } from '../../telemetry/with-span.ts';
import { nextDelay, type RetryPolicy, retryPolicy } from '../backoff.ts';
import { withBypass } from '../chain.ts';
import type { Middleware } from '../message.ts';

/** Least time between two retry warnings of one handler. */
const WARN_EVERY_MS = 1_000;

/**
 * Tries a failed record again with exponential backoff and jitter (see {@link RetryPolicy}), then rethrows the
 * last error for the middleware outside (dead letter) to settle.
 *
 * - Errors that are not retriable (`HERALD_DECODE_FAILED`, `HERALD_VALIDATION_FAILED`, any `HeraldError` created
 *   with `retriable: false`) are rethrown at once: the same input would fail the same way.
 * - Each retry is logged as a warning, at most one a second per handler; the next one says how many went unlogged.
 * - Between attempts the record waits with `message.sleep`: it keeps its key (later records of the key wait, in
 *   order) but not its concurrency slot (other keys flow). If the partition is revoked or the router stops during
 *   the wait, `HERALD_SHUTTING_DOWN` propagates and the record stays uncommitted: it is handed over again later.
 */
export function retry<T = unknown>(
  policy: Partial<RetryPolicy> = {},
  random: () => number = Math.random,
): Middleware<T> {
  const resolved = retryPolicy(policy);
  // One warning a second at most per handler, saying how many retries went unlogged since the last: a destination
  // that is down fails thousands of attempts a second, and a line (with its stack) for each cost more than the
  // retrying itself.
  let lastWarnAt = 0;
  let unlogged = 0;
  const middleware: Middleware<T> = (next) => async (message) => {
    // Taken at the first failure (from when that attempt began), so that records that succeed at once pay nothing.
    let started: number | undefined;
    for (let attempts = 1; ; attempts++) {
      try {
        return await next(message);
      } catch (err) {
        if (!isRetriable(err)) throw err;
        started ??= message.handling.lastAttemptAt ?? Date.now();
        const delayMs = nextDelay(resolved, attempts, Date.now() - started, random);
        if (delayMs === undefined) throw err;
        spanEvent('retry', {
          'herald.attempt': attempts,
          'herald.retry_in_ms': delayMs,
          'exception.message': err instanceof Error ? err.message : String(err),
        });
        const now = Date.now();
        if (now - lastWarnAt >= WARN_EVERY_MS) {
          message.logger.warn(
            { ...failureLogFields(err, { stack: false }), attempt: attempts, retryInMs: delayMs, ...(unlogged > 0 ? { unloggedRetries: unlogged } : {}) },
            'handler failed; will retry',
          );
          lastWarnAt = now;
          unlogged = 0;
        } else {
          unlogged += 1;
        }
        await message.sleep(delayMs);
      }
    }
  };
  // Acts only on failure: a record that succeeds at once needs no wrapper.
  return withBypass(middleware, {});
}
