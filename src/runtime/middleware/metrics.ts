import type { Registry } from 'prom-client';
import { handlerMetrics } from '../handler-metrics.ts';
import type { Delivery, Middleware } from '../message.ts';

/**
 * Counts what happens to records in `herald_handler_*` metrics on `registry` (see `handler-metrics.ts`), labelled
 * by topic and group: attempts as they end (failed, retried, duration), records as they settle (processed,
 * dead-lettered, skipped). Place it outside retry and dead letter so that it sees every attempt and the verdict.
 */
export function metrics<T = unknown>(registry: Registry): Middleware<T> {
  const m = handlerMetrics(registry);
  // A record whose failure escaped the chain runs the chain again; observe its attempts once.
  const observed = new WeakSet<Delivery>();
  return (next) => async (message) => {
    const labels = { topic: message.topic, group: message.group };
    const { delivery } = message;
    if (!observed.has(delivery)) {
      observed.add(delivery);
      delivery.observe(({ attempt, durationMs, error }) => {
        m.duration.observe({ ...labels, outcome: error === undefined ? 'ok' : 'error' }, durationMs / 1000);
        if (error !== undefined) m.failed.inc(labels);
        if (attempt > 1) m.retried.inc(labels);
      });
    }
    await next(message);
    if (delivery.deadLettered) m.deadLettered.inc(labels);
    else if (delivery.skipped) m.skipped.inc(labels);
    else m.processed.inc(labels);
  };
}
