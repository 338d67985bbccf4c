import { Counter, Gauge, type Registry } from 'prom-client';
import { TallyHistogram } from '../metrics/tally-histogram.ts';
import { withTimeout } from '../kit/timeout.ts';
import type { PartitionLag } from './group-runner.ts';

type Labels = 'topic' | 'group';

/** The handler runtime's metrics in one registry (names prefixed `herald_handler_`). */
export interface HandlerMetrics {
  /** Records whose handler succeeded (brought up to date whenever it is read, see `addProcessedFlush`). */
  processed: Counter<Labels>;
  /** Handler attempts that threw (every failed attempt, retried or not). */
  failed: Counter<Labels>;
  /** Attempts after the first. */
  retried: Counter<Labels>;
  /** Records published to their dead-letter topic. */
  deadLettered: Counter<Labels>;
  /** Records a middleware decided not to handle (dedupe: seen before). */
  skipped: Counter<Labels>;
  /** Duration of each handler attempt, by outcome `ok` / `error`. */
  duration: TallyHistogram<Labels | 'outcome'>;
  /** Records after each owned partition's position, computed when scraped. */
  lag: Gauge<Labels | 'partition'>;
  /** Adds a source of lag readings (a group runner); returns its removal. */
  addLagSource(source: () => Promise<PartitionLag[]>): () => void;
  /**
   * Adds a function that moves counts kept aside into `processed`; every read of `processed` (a scrape) calls it
   * first, so that counting a record can be a field increment rather than a labelled counter update.
   */
  addProcessedFlush(flush: () => void): void;
}

// One set per registry: prom-client refuses a second metric of the same name in a registry, and several routers
// (services) share the process registry. Keyed weakly so that a registry dropped by a test takes its metrics along.
const perRegistry = new WeakMap<Registry, HandlerMetrics>();

/** Readings slower than this are skipped for the scrape (the previous values stay). */
const LAG_READ_TIMEOUT_MS = 2_000;

/** The handler metrics registered on `registry`, created on first use. */
export function handlerMetrics(registry: Registry): HandlerMetrics {
  const existing = perRegistry.get(registry);
  if (existing !== undefined) return existing;
  const labelNames = ['topic', 'group'] as const;
  const counter = (name: string, help: string) =>
    new Counter({ name: `herald_handler_${name}`, help, labelNames, registers: [registry] });
  const sources = new Set<() => Promise<PartitionLag[]>>();
  const flushes: (() => void)[] = [];
  const metrics: HandlerMetrics = {
    processed: new Counter({
      name: 'herald_handler_processed_total',
      help: 'records handled successfully',
      labelNames,
      registers: [registry],
      collect() {
        for (const flush of flushes) flush();
      },
    }),
    failed: counter('failed_total', 'handler attempts that threw'),
    retried: counter('retried_total', 'handler attempts after the first'),
    deadLettered: counter('dead_lettered_total', 'records published to a dead-letter topic'),
    skipped: counter('skipped_total', 'records skipped by middleware (duplicates)'),
    duration: new TallyHistogram({
      name: 'herald_handler_duration_seconds',
      help: 'duration of each handler attempt',
      labelNames: [...labelNames, 'outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'herald_handler_consumer_lag',
      help: 'records not yet done in each owned partition (log end minus position)',
      labelNames: [...labelNames, 'partition'] as const,
      registers: [registry],
      async collect() {
        const readings = await Promise.all(
          [...sources].map((source) =>
            withTimeout<PartitionLag[], undefined>(source(), LAG_READ_TIMEOUT_MS, () => undefined).catch(() => undefined),
          ),
        );
        if (readings.some((r) => r === undefined)) return;
        this.reset();
        for (const lag of readings.flat()) {
          if (lag !== undefined)
            this.set({ topic: lag.topic, group: lag.group, partition: String(lag.partition) }, lag.lag);
        }
      },
    }),
    addLagSource(source) {
      sources.add(source);
      return () => sources.delete(source);
    },
    addProcessedFlush(flush) {
      flushes.push(flush);
    },
  };
  perRegistry.set(registry, metrics);
  return metrics;
}
