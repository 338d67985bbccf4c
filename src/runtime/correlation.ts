import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Headers } from '../broker/port.ts';
import { HEADERS } from './headers.ts';

/** Whatever has a correlation id: a message (whose id may be computed on first use) or a request. */
export interface Correlated {
  readonly correlationId: string | undefined;
}

// Per process and never reassigned: it only scopes ids to async call chains, each `run` gets its own. It holds the
// message (or a run loop's slot) rather than an id, so that records nobody emits from never pay for making one up.
const current = new AsyncLocalStorage<Correlated>();

/** The record's correlation id: `herald.correlation-id`, else `x-request-id`, else a new UUID. */
export function correlationIdOf(headers: Headers): string {
  return headers[HEADERS.correlationId] || headers[HEADERS.requestId] || randomUUID();
}

/**
 * Runs `fn(...args)` with `id` (or the id of a message) as the current correlation id (what emitters stamp on
 * records produced inside).
 */
export function withCorrelationId<R, A extends unknown[]>(
  id: string | Correlated,
  fn: (...args: A) => R,
  ...args: A
): R {
  return current.run(typeof id === 'string' ? { correlationId: id } : id, fn, ...args);
}

/** The correlation id of the handler (or request) this code runs for, if any. */
export function currentCorrelationId(): string | undefined {
  return current.getStore()?.correlationId;
}

/**
 * The correlation context of one of the runtime's run loops, which handle one record at a time: it names the
 * record the loop runs now. Entering a context costs an allocation and a copy of the async context, so a loop
 * enters its slot once and moves `current` from record to record — a context per record would cost as much as a
 * light handler.
 *
 * What a handler sees through {@link currentCorrelationId}, in its synchronous part and across its awaits, is
 * its own record's id. Work it leaves running after it resolved (not awaited) is no longer part of the record —
 * the record is done and may be committed — and sees whichever record the loop runs by then; pass it
 * `message.correlationId` explicitly.
 */
export class CorrelationSlot implements Correlated {
  current: Correlated | undefined;

  get correlationId(): string | undefined {
    return this.current?.correlationId;
  }
}

/**
 * Makes `slot` the current correlation context of the rest of this synchronous run and of every async
 * continuation it starts. It does not restore the previous context: call it only where the context ends with the
 * current job (a fresh microtask of the runtime's own), never where a caller's code continues afterwards.
 */
export function enterCorrelation(slot: CorrelationSlot): void {
  current.enterWith(slot);
}
