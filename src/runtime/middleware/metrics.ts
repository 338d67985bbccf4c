import type { Counter, Registry } from 'prom-client';
import { withBypass } from '../chain.ts';
import { handlerMetrics } from '../handler-metrics.ts';
import { type AttemptOutcome, type Handling, type Message, type Middleware, wasSkipped } from '../message.ts';

type Child = ReturnType<Counter['labels']>;

/** The metric children of one topic and group, resolved once. */
interface Children {
  processed: Child;
  /** Records processed and not yet added to `processed` (added when it is read; see `addProcessedFlush`). */
  pendingProcessed: number;
  failed: Child;
  retried: Child;
  deadLettered: Child;
  skipped: Child;
  ok: { observe(value: number): void };
  error: { observe(value: number): void };
}

/**
 * Counts what happens to records in `herald_handler_*` metrics on `registry` (see `handler-metrics.ts`), labelled
 * by topic and group: attempts as they end (failed, retried, duration), records as they settle (processed,
 * dead-lettered, skipped). Place it outside retry and dead letter so that it sees every attempt and the verdict.
 * Processed records, one per record, are tallied in a field and added to the counter whenever it is read.
 */
export function metrics<T = unknown>(registry: Registry): Middleware<T> {
  const m = handlerMetrics(registry);
  const children = new Map<string, Children>();
  m.addProcessedFlush(() => {
    for (const c of children.values()) {
      if (c.pendingProcessed === 0) continue;
      c.processed.inc(c.pendingProcessed);
      c.pendingProcessed = 0;
    }
  });
  // The children of the last topic and group seen: a registration has one of each, so this almost always hits and
  // spares building and hashing a key per record.
  let last: { topic: string; group: string; children: Children } | undefined;
  const childrenOf = (message: Message<T>): Children => {
    const { topic, group } = message;
    if (last !== undefined && last.topic === topic && last.group === group) return last.children;
    const id = `${topic}\u0000${group}`;
    let c = children.get(id);
    if (c === undefined) {
      const labels = { topic, group };
      c = {
        processed: m.processed.labels(labels),
        pendingProcessed: 0,
        failed: m.failed.labels(labels),
        retried: m.retried.labels(labels),
        deadLettered: m.deadLettered.labels(labels),
        skipped: m.skipped.labels(labels),
        ok: m.duration.labels({ ...labels, outcome: 'ok' }),
        error: m.duration.labels({ ...labels, outcome: 'error' }),
      };
      children.set(id, c);
    }
    last = { topic, group, children: c };
    return c;
  };
  // A record whose failure escaped the chain runs the chain again; observe its attempts once.
  const observed = new WeakSet<Handling>();
  const observe = (message: Message<T>): Children => {
    const c = childrenOf(message);
    const { handling } = message;
    if (!observed.has(handling)) {
      observed.add(handling);
      handling.observe(({ attempt, durationMs, error }: AttemptOutcome) => {
        (error === undefined ? c.ok : c.error).observe(durationMs / 1000);
        if (error !== undefined) c.failed.inc();
        if (attempt > 1) c.retried.inc();
      });
    }
    return c;
  };
  const middleware: Middleware<T> = (next) => async (message) => {
    const c = observe(message);
    await next(message);
    const { handling } = message;
    if (handling.deadLettered) c.deadLettered.inc();
    else if (handling.skipped) c.skipped.inc();
    else c.pendingProcessed += 1;
  };
  // Its work around a first attempt is synchronous: when the wrapper is skipped, the runtime times the attempt and
  // these do what the observer and the wrapper would have done (the first attempt is never a retry).
  return withBypass(middleware, {
    succeeded: (message, durationMs) => {
      const c = childrenOf(message);
      c.ok.observe(durationMs / 1000);
      // A handler may mark its record skipped (a copy it has seen before); dead letters never take this path.
      if (wasSkipped(message)) c.skipped.inc();
      else c.pendingProcessed += 1;
    },
    failed: (message, _error, durationMs) => {
      const c = childrenOf(message);
      c.error.observe(durationMs / 1000);
      c.failed.inc();
    },
  });
}
