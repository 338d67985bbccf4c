import path from 'node:path';
import type { Logger } from 'pino';
import { MemoryStore } from '../state/memory-store.ts';
import { SqliteStore } from '../state/sqlite-store.ts';
import type { KeyValueStore } from '../state/store.ts';
import type { TableReader } from './context.ts';
import { type CoreOptions, ProcessorCore } from './core.ts';
import type { ResolvedProcessorOptions } from './options.ts';
import type { Topology } from './topology.ts';
import { sleepUnlessAborted } from './waits.ts';

/**
 * A processor's local table store: `<dataDir>/state/<group>.db` (SQLite), or memory without a data dir, a table or
 * with `store: 'memory'`.
 */
export function openLocalStore(
  topology: Topology<unknown, unknown, unknown>,
  resolved: ResolvedProcessorOptions,
  dataDir: string | undefined,
  logger: Logger,
): KeyValueStore {
  if (resolved.store === 'memory' || dataDir === undefined || topology.table === undefined) return new MemoryStore();
  const file = path.join(dataDir, 'state', `${encodeURIComponent(topology.group)}.db`);
  return new SqliteStore(file, {
    onReset: (reset) =>
      logger.warn({ code: 'HERALD_STATE_CORRUPT', ...reset }, 'local store distrusted; rebuilding from the changelog'),
  });
}

/** What a processor's core reads from and waits on besides the topology. */
export interface CoreParts {
  tables: TableReader;
  readCommitted: CoreOptions['readCommitted'];
  /** The signal of an owned partition, aborted when it is revoked or the processor stops. */
  abortSignal(partition: number): AbortSignal | undefined;
}

/** The processing core of a processor: retries with the processor's policy, retries and dead letters logged. */
export function processorCore(
  topology: Topology<unknown, unknown, unknown>,
  resolved: ResolvedProcessorOptions,
  parts: CoreParts,
  logger: Logger,
): ProcessorCore {
  return new ProcessorCore({
    topology,
    tables: parts.tables,
    readCommitted: parts.readCommitted,
    retry: {
      policy: resolved.retry,
      now: Date.now,
      sleep: (ms, partition) => sleepUnlessAborted(ms, parts.abortSignal(partition), `partition ${partition} is being revoked`),
    },
    onRetry: (record, err, attempt, delayMs) =>
      logger.warn(
        { err, topic: record.topic, partition: record.partition, offset: record.offset, attempt, retryInMs: delayMs },
        'callback failed; will retry',
      ),
    onDeadLetter: (record, err, attempts) =>
      logger.error({ err, topic: record.topic, partition: record.partition, offset: record.offset, attempts }, 'callback failed; dead-lettered'),
  });
}
