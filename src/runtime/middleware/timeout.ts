import { HeraldError } from '../../errors.ts';
import { withTimeout } from '../../kit/timeout.ts';
import { type Middleware, withSignal } from '../message.ts';

/**
 * Fails an attempt that takes longer than `ms` with `HERALD_TIMEOUT` (retriable) and aborts the `message.signal`
 * the handler got, so that I/O passed the signal stops.
 *
 * JavaScript cannot stop a running function: a handler that ignores the signal keeps running after the timeout,
 * possibly alongside its own retry. Handlers used with a timeout should pass `message.signal` to their I/O.
 */
export function timeout<T = unknown>(ms: number): Middleware<T> {
  return (next) => async (message) => {
    const controller = new AbortController();
    const run = next(withSignal(message, AbortSignal.any([message.signal, controller.signal])));
    await withTimeout(run, ms, () => {
      const err = new HeraldError('HERALD_TIMEOUT', `handler did not finish within ${ms} ms`);
      controller.abort(err);
      throw err;
    });
  };
}
