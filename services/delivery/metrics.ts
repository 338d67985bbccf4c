import { Counter, Gauge, type Registry } from 'prom-client';
import { TallyHistogram } from '#herald';
import type { Attempt } from './classify.ts';

/** The delivery service's own metrics (the runtime's `herald_handler_*` cover attempts, retries, dead letters). */
export interface DeliveryMetrics {
  /** Events accepted by `POST /publish[/batch]`. */
  accepted: Counter;
  /** Events delivered (2xx), per destination. */
  delivered: Counter<'destination'>;
  /** From the event's acceptance to its 2xx at the destination, per destination. */
  latency: TallyHistogram<'destination'>;
  /** Every HTTP attempt, per destination and what it came to (see {@link attemptOutcome}). */
  attempts: Counter<'destination' | 'outcome'>;
  /** How long a destination took to answer an attempt (answers of any status; not timeouts or refused connections). */
  responseTime: TallyHistogram<'destination'>;
  /** Events given up on for a destination (refused for good, or out of attempts or time). */
  deadLettered: Counter<'destination'>;
  /**
   * Adds a function that moves counts kept aside into `delivered` and `attempts`; reading either (a scrape) calls it
   * first, so that counting a delivery is a field increment rather than a labelled counter update (prom-client
   * builds and hashes the labels on every `inc`).
   */
  addFlush(flush: () => void): void;
}

/** One destination's consumer groups, whose lag is its backlog. */
export interface DestinationGroups {
  id: string;
  groups: string[];
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** An attempt's outcome as a metric label: `2xx`, `3xx`, `4xx`, `5xx`, `timeout`, `connection` or `invalid`. */
export function attemptOutcome(attempt: Attempt): string {
  return 'failure' in attempt ? attempt.failure : STATUS_CLASSES[Math.min(4, Math.max(0, Math.floor(attempt.status / 100) - 1))];
}

/**
 * Registers delivery's metrics. `herald_delivery_backlog{destination}` is read when scraped: the lag of the
 * destination's groups (its transformer and its sender) as the runtime's `herald_handler_consumer_lag` reports it.
 */
export function deliveryMetrics(registry: Registry, destinations: DestinationGroups[] = []): DeliveryMetrics {
  new Gauge({
    name: 'herald_delivery_backlog',
    help: 'records accepted for a destination and not yet done with (its transformer’s and sender’s lag)',
    labelNames: ['destination'] as const,
    registers: [registry],
    async collect() {
      const lag = (await registry.getSingleMetric('herald_handler_consumer_lag')?.get())?.values ?? [];
      for (const { id, groups } of destinations) {
        const sum = lag.filter((v) => groups.includes(String(v.labels.group))).reduce((total, v) => total + v.value, 0);
        this.set({ destination: id }, sum);
      }
    },
  });
  const flushes: (() => void)[] = [];
  const collect = () => {
    for (const flush of flushes) flush();
  };
  return {
    accepted: new Counter({
      name: 'herald_delivery_accepted_total',
      help: 'events accepted by POST /publish and /publish/batch',
      registers: [registry],
    }),
    delivered: new Counter({
      name: 'herald_delivery_delivered_total',
      help: 'events a destination answered 2xx',
      labelNames: ['destination'] as const,
      registers: [registry],
      collect,
    }),
    latency: new TallyHistogram({
      name: 'herald_delivery_latency_seconds',
      help: 'from acceptance to the destination’s 2xx',
      labelNames: ['destination'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'herald_delivery_attempts_total',
      help: 'HTTP attempts to a destination, by outcome (2xx, 4xx, 5xx, timeout, connection, …)',
      labelNames: ['destination', 'outcome'] as const,
      registers: [registry],
      collect,
    }),
    responseTime: new TallyHistogram({
      name: 'herald_delivery_response_seconds',
      help: 'from sending an attempt to the destination’s answer',
      labelNames: ['destination'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'herald_delivery_dead_lettered_total',
      help: 'events given up on for a destination',
      labelNames: ['destination'] as const,
      registers: [registry],
    }),
    addFlush(flush) {
      flushes.push(flush);
    },
  };
}
