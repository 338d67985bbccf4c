import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Headers } from '../broker/broker.ts';
import { HEADERS } from './headers.ts';

/** Whatever has a correlation id: a message (whose id may be computed on first use) or a request. */
export interface Correlated {
  readonly correlationId: string;
}

// Per process and never reassigned: it only scopes ids to async call chains, each `run` gets its own. It holds the
// message rather than its id, so that records nobody emits from never pay for making an id up.
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
 * Makes `message` the current correlation context of the rest of this synchronous run and of every async
 * continuation it starts — the runtime's per-record switch, about half the cost of `withCorrelationId` (one context
 * copy instead of two). It does not restore the previous context: call it only where the context ends with the
 * current job (a fresh microtask of the runtime's own), never where a caller's code continues afterwards.
 */
export function enterCorrelation(message: Correlated): void {
  current.enterWith(message);
}
