import { isRetriable } from '../../errors.ts';
import { nextDelay, type RetryPolicy, retryPolicy } from '../backoff.ts';
import { withBypass } from '../chain.ts';
import type { Middleware } from '../message.ts';

/**
 * Tries a failed record again with exponential backoff and jitter (see {@link RetryPolicy}), then rethrows the
 * last error for the middleware outside (dead letter) to settle.
 *
 * - Errors that are not retriable (`HERALD_DECODE_FAILED`, `HERALD_VALIDATION_FAILED`, any `HeraldError` created
 *   with `retriable: false`) are rethrown at once: the same input would fail the same way.
 * - Between attempts the record waits with `message.sleep`: it keeps its key (later records of the key wait, in
 *   order) but not its concurrency slot (other keys flow). If the partition is revoked or the router stops during
 *   the wait, `HERALD_SHUTTING_DOWN` propagates and the record stays uncommitted: it is handed over again later.
 */
export function retry<T = unknown>(
  policy: Partial<RetryPolicy> = {},
  random: () => number = Math.random,
): Middleware<T> {
  const resolved = retryPolicy(policy);
  const middleware: Middleware<T> = (next) => async (message) => {
    // Taken at the first failure (from when that attempt began), so that records that succeed at once pay nothing.
    let started: number | undefined;
    for (let attempts = 1; ; attempts++) {
      try {
        return await next(message);
      } catch (err) {
        if (!isRetriable(err)) throw err;
        started ??= message.delivery.lastAttemptAt ?? Date.now();
        const delayMs = nextDelay(resolved, attempts, Date.now() - started, random);
        if (delayMs === undefined) throw err;
        message.logger.warn({ err, attempt: attempts, retryInMs: delayMs }, 'handler failed; will retry');
        await message.sleep(delayMs);
      }
    }
  };
  // Acts only on failure: a record that succeeds at once needs no wrapper.
  return withBypass(middleware, {});
}
