import {
  deadLetter,
  type HandlerOptions,
  type Message,
  type Middleware,
  type RetryPolicy,
  retry,
} from '../../src/runtime/index.ts';

/**
 * Handler options for a pipeline stage: the runtime's own retry and dead-letter middleware, arranged so that the
 * stage learns when a record was dead-lettered — `onDeadLettered` runs after the dead letter is durable in its
 * topic, with the error that sent it there — to record the event as `dead` in its status.
 *
 * The router's built-in retry and dead letter are switched off for these handlers and the same middleware is
 * placed inside them instead: outermost first `onDeadLettered` → dead letter → retry → handler.
 */
export function stageOptions(
  policy: Partial<RetryPolicy>,
  onDeadLettered: (message: Message<Buffer | null>, error: unknown) => Promise<void>,
  flow: Pick<HandlerOptions<Buffer | null>, 'concurrency' | 'maxInFlight'>,
): HandlerOptions<Buffer | null> {
  const recordDead: Middleware<Buffer | null> = (next) => async (message) => {
    await next(message);
    if (message.delivery.deadLettered) await onDeadLettered(message, message.delivery.lastError);
  };
  return {
    ...flow,
    mode: 'key',
    retry: false,
    deadLetter: false,
    middleware: [recordDead, deadLetter<Buffer | null>(), retry<Buffer | null>(policy)],
  };
}

/**
 * Retry "forever" (until the record succeeds or fails for good): for stages whose only transient failure is the
 * broker, where giving up would only dead-letter a record that nothing is wrong with.
 */
export const UNTIL_DONE: Partial<RetryPolicy> = {
  maxAttempts: Number.MAX_SAFE_INTEGER,
  maxElapsedMs: Number.POSITIVE_INFINITY,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
};
