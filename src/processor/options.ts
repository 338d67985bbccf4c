import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Broker } from '../broker/port.ts';
import { HeraldError } from '../errors.ts';
import { type RetryPolicy, retryPolicy } from '../runtime/backoff.ts';
import type { LogTail } from './log-tail.ts';
import type { ProcessorRegistry } from './registry.ts';

/**
 * `exactly-once` (default): a batch's table changes, emitted records, dead letters and input offsets become visible
 * together or not at all (embedded: one storage transaction; Kafka: one transaction, consumers read_committed).
 *
 * `at-least-once`: the same loop with a plain send, then an offset commit. Faster on Kafka (no transaction), but a
 * crash between the two applies the batch's records again on restart: a sum counts them twice, and readers of the
 * emitted topics see duplicates. Choose it only for idempotent callbacks (set, not add).
 */
export type Guarantee = 'exactly-once' | 'at-least-once';

export interface ProcessorOptions {
  broker: Broker;
  logger: Logger;
  /** The local table lives in `<dataDir>/state/<group>.db`; without one (or with `store: 'memory'`), in memory. */
  dataDir?: string;
  store?: 'sqlite' | 'memory';
  guarantee?: Guarantee;
  /**
   * Retries of a failing callback before its record is dead-lettered. The partition waits meanwhile (its records
   * are ordered and its commits atomic), so the default is shorter than the handler runtime's: 5 attempts within
   * 10 s.
   */
  retry?: Partial<RetryPolicy>;
  /**
   * Bytes of committed table values (with their keys) kept in memory in front of the local store, for all of this
   * instance's partitions together. Default 64 MiB.
   */
  cacheBytes?: number;
  /** Most input records per batch (one commit each). Default 1,000. */
  maxBatchSize?: number;
  /**
   * Exactly-once: most batches of a partition processed ahead of their commits (each on top of the ones before,
   * committed in order; a failed commit takes the ones after it with it, and all are processed again). More lowers
   * the wait of a record that arrives while a commit runs: on Kafka, where a busy processor's transactions are
   * spaced, the wallet's deposit → visible p50 went from 45–47 ms to 31–33 with 2 and 22–29 with 4 (probed as the
   * half load began, see `bench/wallet.ts --settle`), its throughput unchanged with 2 and 10–20% lower with 4. A
   * full batch (`maxBatchSize` records: a backlog) always waits for its commit, throughput first. Default 2 on
   * Kafka; 1 on the embedded broker, whose commits take a millisecond or two (ahead there, batches only got smaller:
   * ~4% fewer deposits). At-least-once: always 1.
   *
   * Batches that find no room are held, not waited for, while the event loop has time to spare: processed at once
   * and committed as one when room comes (`PartitionPipeline.hold`), so that a view reading uncommitted shows them
   * without waiting for a commit. Saturated (`SATURATED`), processing then waits a little for room before it takes
   * the partition's next records, so that they gather into a larger batch: the busier, the longer, up to 10 ms
   * (`saturated-wait.ts`).
   */
  inFlightBatches?: number;
  /**
   * Exactly-once on Kafka: the least time between the starts of this instance's transactions while they follow each
   * other, whatever the load (commits made meanwhile share one; `ConsumerOptions.transactionIntervalMs`), in ms.
   * For a processor whose changes are read before they commit — by views in its process reading uncommitted — a
   * commit soon buys nothing, and fewer transactions leave Herald and Kafka more CPU (the wallet sets 100 ms, see
   * `UNCOMMITTED_READ_COMMIT_INTERVAL_MS`). Default: the broker's `transactions.intervalMs`, in full only as the event
   * loop saturates, so that read_committed readers see commits soon. Ignored by the embedded broker.
   */
  commitIntervalMs?: number;
  sessionTimeoutMs?: number;
  /** Keep the tables of partitions this instance does not own restored too, so a rebalance needs no restore. */
  hotStandby?: boolean;
  /** Registers `herald_processor_*` metrics here. */
  metrics?: { registry: Registry };
  /** Shown by `GET /admin/processors`. */
  registry?: ProcessorRegistry;
  /** Component name. Default `processor:<group>`. */
  name?: string;
  /**
   * Names this instance for the transactional id (`<group>-<instanceId>`), so that a restarted instance fences its
   * predecessor at once. Default: made up once and kept in `<dataDir>/state/<group>.instance` (or per process
   * without a data dir).
   */
  instanceId?: string;
  /** Overrides how changelogs are read (tests). */
  tail?: LogTail;
}

/** See {@link ProcessorOptions.inFlightBatches}. */
export const DEFAULT_IN_FLIGHT_BATCHES: Readonly<Record<string, number>> = Object.freeze({ kafka: 2, embedded: 1 });

export const DEFAULT_PROCESSOR_RETRY: Partial<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  maxElapsedMs: 10_000,
  maxDelayMs: 2_000,
});

export interface ResolvedProcessorOptions {
  guarantee: Guarantee;
  retry: RetryPolicy;
  cacheBytes: number;
  maxBatchSize: number;
  inFlightBatches: number;
  store: 'sqlite' | 'memory';
}

export function resolveProcessorOptions(options: ProcessorOptions): ResolvedProcessorOptions {
  const guarantee = options.guarantee ?? 'exactly-once';
  if (guarantee !== 'exactly-once' && guarantee !== 'at-least-once')
    throw invalid(`guarantee must be exactly-once or at-least-once, not ${String(guarantee)}`);
  const positive = (value: number | undefined, fallback: number, name: string) => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v < 1) throw invalid(`${name} must be a positive integer, not ${v}`);
    return v;
  };
  const { commitIntervalMs } = options;
  if (commitIntervalMs !== undefined && !(Number.isSafeInteger(commitIntervalMs) && commitIntervalMs >= 0 && commitIntervalMs <= 60_000))
    throw invalid(`commitIntervalMs must be an integer from 0 to 60000, not ${commitIntervalMs}`);
  const store = options.store ?? (options.dataDir === undefined ? 'memory' : 'sqlite');
  if (store === 'sqlite' && options.dataDir === undefined) throw invalid('store sqlite needs a dataDir');
  return {
    guarantee,
    retry: retryPolicy({ ...DEFAULT_PROCESSOR_RETRY, ...options.retry }),
    cacheBytes: positive(options.cacheBytes, 64 * 1_048_576, 'cacheBytes'),
    maxBatchSize: positive(options.maxBatchSize, 1_000, 'maxBatchSize'),
    inFlightBatches:
      guarantee === 'exactly-once'
        ? positive(options.inFlightBatches, DEFAULT_IN_FLIGHT_BATCHES[options.broker.kind] ?? 1, 'inFlightBatches')
        : 1,
    store,
  };
}

function invalid(message: string): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', message);
}
