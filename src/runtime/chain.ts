import { compose, type Handler, type Message, type Middleware, RecordMessage } from './message.ts';
import { turnNow } from '../kit/per-turn.ts';

/**
 * How the runtime may skip a middleware's wrapper for a record. A built-in middleware carries one when, for most
 * records, its wrapper only passes the record through on success and acts only on failure (retry, dead letter), or
 * does only synchronous work around the attempt (metrics, tracing without a span). Skipping those wrappers saves an
 * async frame per middleware per record, which is most of the runtime's cost for light handlers.
 */
export interface Bypass<T> {
  /**
   * Before the first attempt, synchronously: whether the wrapper may be skipped for this record (`false`: the whole
   * chain runs). Must be idempotent: when another middleware says `false`, the wrapper runs after it anyway.
   */
  enter?(message: Message<T>): boolean;
  /** The first attempt succeeded with the wrapper skipped, after `durationMs`: the wrapper's success work. */
  succeeded?(message: Message<T>, durationMs: number): void;
  /**
   * The first attempt failed with the wrapper skipped, after `durationMs`: what the wrapper does about an attempt
   * as it ends (not about the record — the whole chain runs next, the wrapper included, for that).
   */
  failed?(message: Message<T>, error: unknown, durationMs: number): void;
}

const BYPASS = Symbol('herald.middleware.bypass');

type WithBypass<T> = Middleware<T> & { [BYPASS]?: Bypass<T> };

/** Marks `middleware` as skippable as `bypass` says; returns it. */
export function withBypass<T>(middleware: Middleware<T>, bypass: Bypass<T>): Middleware<T> {
  (middleware as WithBypass<T>)[BYPASS] = bypass;
  return middleware;
}

/**
 * One registration's handling: the composed chain, plus a fast path equivalent to it for records every middleware
 * agrees to skip. The fast path runs the first attempt bare; if it fails, `recover` runs the whole chain with that
 * failure replayed as the chain's first attempt — so retry, dead letter and metrics see exactly what they would have
 * seen had their wrappers run from the start.
 */
export interface Chain<T> {
  /** The whole chain: middleware around the attempt (decode, handler). */
  readonly handler: Handler<T>;
  /** Whether `message` may take the fast path (runs the middleware's `enter` hooks). */
  enter(message: Message<T>): boolean;
  /** A clock reading to pass to `succeeded`/`recover` (0 when no middleware times attempts). */
  clock(): number;
  /**
   * The first attempt, bare: recorded on `message.handling` (its start time read once per event-loop turn, see
   * {@link turnNow}), may throw synchronously.
   */
  attempt(message: Message<T>): Promise<void>;
  /** The first attempt, begun at `clock`, succeeded on the fast path. */
  succeeded(message: Message<T>, clock: number): void;
  /**
   * The first attempt, begun at `clock`, failed on the fast path with `error`: the whole chain, that failure as its
   * first attempt.
   */
  recover(message: Message<T>, error: unknown, clock: number): Promise<void>;
}

// A failure of a fast first attempt, for the chain's innermost handler to return instead of running the handler
// again. Keyed by the record's `Handling`, which messages derived with `withSignal` share.
const replayed = new WeakMap<object, { error: unknown }>();

/**
 * Composes `middleware` (first outermost) around `attempt` — the decoding handler, run as one recorded attempt — and
 * derives the fast path. The fast path exists only when every middleware carries a {@link Bypass}.
 */
export function buildChain<T>(middleware: readonly Middleware<T>[], attempt: Handler<T>): Chain<T> {
  const innermost: Handler<T> = (message) => {
    const failure = replayed.get(message.handling);
    if (failure !== undefined) {
      replayed.delete(message.handling);
      return Promise.reject(failure.error);
    }
    return message.handling.attempt(attempt, message);
  };
  const handler = compose(middleware, innermost);
  const bypasses = middleware.map((m) => (m as WithBypass<T>)[BYPASS]);
  const fast = bypasses.every((b) => b !== undefined);
  const enters = bypasses.flatMap((b) => (b?.enter === undefined ? [] : [b.enter]));
  // Innermost first, as wrappers finish.
  const successes = bypasses.flatMap((b) => (b?.succeeded === undefined ? [] : [b.succeeded])).reverse();
  const failures = bypasses.flatMap((b) => (b?.failed === undefined ? [] : [b.failed])).reverse();
  const timed = successes.length > 0 || failures.length > 0;
  // Specialised for the usual shapes (one `enter` hook, no other hooks): these run once per record.
  const [onlyEnter] = enters;
  const enter: (message: Message<T>) => boolean = !fast
    ? () => false
    : enters.length === 0
      ? () => true
      : enters.length === 1
        ? onlyEnter
        : (message) => enters.every((hook) => hook(message));
  return {
    handler,
    enter,
    clock: timed ? () => performance.now() : () => 0,
    attempt(message) {
      if (message instanceof RecordMessage && message.beginFirstAttempt(turnNow())) return attempt(message);
      const { handling } = message;
      // Something observes attempts: let the handling run (and report) it.
      if (handling.observed) return handling.attempt(attempt, message);
      handling.begin(turnNow());
      return attempt(message);
    },
    succeeded: !timed
      ? () => {}
      : (message, clock) => {
          const durationMs = performance.now() - clock;
          for (const succeeded of successes) succeeded(message, durationMs);
        },
    recover(message, error, clock) {
      const { handling } = message;
      if (failures.length > 0) {
        const durationMs = performance.now() - clock;
        for (const failed of failures) failed(message, error, durationMs);
      }
      handling.lastError = error;
      replayed.set(handling, { error });
      try {
        return handler(message);
      } finally {
        // Every bypassable wrapper calls `next` before its first await, so the failure was taken by now; never let
        // it stand in for a later attempt.
        replayed.delete(handling);
      }
    },
  };
}
