import type { HandlerOptions, Message, RetryPolicy } from '#herald/runtime';

/**
 * Handler options for a pipeline stage: the runtime's own retry and dead-letter middleware, the stage learning
 * when a record was dead-lettered — `onDeadLettered` runs after the dead letter is durable in its topic, with the
 * error that sent it there — to record the event as `dead` in its status.
 */
export function stageOptions(
  policy: Partial<RetryPolicy>,
  onDeadLettered: (message: Message<Buffer | null>, error: unknown) => Promise<void>,
  flow: Pick<HandlerOptions<Buffer | null>, 'concurrency' | 'maxInFlight'>,
): HandlerOptions<Buffer | null> {
  return { ...flow, mode: 'key', retry: policy, deadLetter: { onDeadLettered } };
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
