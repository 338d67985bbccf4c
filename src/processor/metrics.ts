import { Counter, Gauge, type Registry } from 'prom-client';

/** The processor layer's metrics in one registry (names prefixed `herald_processor_`), labelled by group. */
export interface ProcessorMetrics {
  /** Input records processed (callbacks succeeded or dead-lettered), counted once their batch committed. */
  records: Counter<'group'>;
  /** Table changes committed (changelog records written). */
  tableWrites: Counter<'group'>;
  deadLettered: Counter<'group'>;
  /** Records too late for their window (dropped). */
  late: Counter<'group'>;
  /** Batches whose commit failed (retried from the committed offset, or dropped with the partition). */
  commitFailures: Counter<'group'>;
  /** Changelog records applied while restoring. */
  restoreRecords: Counter<'group' | 'partition'>;
  /** Changelog records left to restore (0 when done). */
  restoreRemaining: Gauge<'group' | 'partition'>;
  /** Seconds the last restore of a partition took. */
  restoreSeconds: Gauge<'group' | 'partition'>;
  /** Input records after the processor's position, per partition (read when scraped). */
  lag: Gauge<'group' | 'partition'>;
  /** Changelog records a view has not applied yet. */
  viewLag: Gauge<'table'>;
}

const perRegistry = new WeakMap<Registry, ProcessorMetrics>();

/** The processor metrics registered on `registry`, created on first use (several processors share them). */
export function processorMetrics(registry: Registry): ProcessorMetrics {
  const existing = perRegistry.get(registry);
  if (existing !== undefined) return existing;
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: `herald_processor_${name}`, help, labelNames, registers: [registry] });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name: `herald_processor_${name}`, help, labelNames, registers: [registry] });
  const metrics: ProcessorMetrics = {
    records: counter('records_total', 'input records processed and committed', ['group']),
    tableWrites: counter('table_writes_total', 'table changes committed to the changelog', ['group']),
    deadLettered: counter('dead_lettered_total', 'input records dead-lettered', ['group']),
    late: counter('late_records_total', 'records dropped as too late for their window', ['group']),
    commitFailures: counter('commit_failures_total', 'batches whose atomic commit failed', ['group']),
    restoreRecords: counter('restore_records_total', 'changelog records applied while restoring', ['group', 'partition']),
    restoreRemaining: gauge('restore_remaining', 'changelog records left to restore', ['group', 'partition']),
    restoreSeconds: gauge('restore_duration_seconds', 'duration of the last restore', ['group', 'partition']),
    lag: gauge('lag', 'input records after the processor position', ['group', 'partition']),
    viewLag: gauge('view_lag', 'changelog records a view has not applied', ['table']),
  };
  perRegistry.set(registry, metrics);
  return metrics;
}

/** Counts a committed batch: its records, table changes, dead letters and late records. */
export function countCommitted(
  metrics: ProcessorMetrics | undefined,
  group: string,
  result: { processed: number; changes: { size: number }; deadLettered: number; late: number },
): void {
  if (metrics === undefined) return;
  metrics.records.inc({ group }, result.processed);
  if (result.changes.size > 0) metrics.tableWrites.inc({ group }, result.changes.size);
  if (result.deadLettered > 0) metrics.deadLettered.inc({ group }, result.deadLettered);
  if (result.late > 0) metrics.late.inc({ group }, result.late);
}
