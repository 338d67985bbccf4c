import { collectDefaultMetrics, Registry } from 'prom-client';
import { TallyHistogram } from './tally-histogram.ts';

/** Metrics of one Herald process: process/runtime defaults plus whatever components register. */
export interface Metrics {
  registry: Registry;
  httpDuration: TallyHistogram<'method' | 'route' | 'status'>;
}

/** A fresh registry (never the global one, so tests and several apps in one process do not collide). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  // Standard names (process_cpu_seconds_total, nodejs_eventloop_lag_seconds, …), so existing dashboards work.
  collectDefaultMetrics({ register: registry });
  const httpDuration = new TallyHistogram({
    name: 'herald_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, httpDuration };
}
