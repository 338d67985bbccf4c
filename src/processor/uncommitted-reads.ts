/**
 * A processor's table as its next batch sees it, offered to the views of the same process that read uncommitted
 * (`ViewOptions.isolation: 'read_uncommitted'`, the isolation of Kafka Streams' interactive queries): a change is
 * readable once its batch was processed, before its transaction commits. It is what the processor commits unless
 * the commit fails (a crash, a broker outage, the partition moving); then the change is read again once its
 * records are processed again — the same value for the same inputs — and meanwhile the reader sees the committed
 * one.
 *
 * The wallet on the local Kafka node at 5,000 deposits/s (`bench/wallet.ts --half-rate 5000`, BENCHMARKS.md
 * 2026-12-06 04:45): deposit answered → visible in its check, p50 18.7–30.2 ms reading committed, 8.8–17.9 reading
 * uncommitted — a deposit is processed several milliseconds before the transaction that commits it resolves.
 */
import type { Broker } from '../broker/port.ts';

/** One processor's table in this process, owned partitions only. */
export interface UncommittedSource {
  /** Whether the partition is owned and restored here (else the reader keeps to its committed copy). */
  owns(partition: number): boolean;
  /** The encoded value of `key` in `partition` as the next batch reads it; `undefined` when absent. */
  read(partition: number, key: string): Buffer | undefined;
  /** The next offset of `topic`'s `partition` after the records processed here (committed or in flight). */
  processed(topic: string, partition: number): number | undefined;
}

interface Shared {
  sources: Set<UncommittedSource>;
  listeners: Set<() => void>;
}

/** Per broker (one per process and configuration), per table topic. */
const shared = new WeakMap<Broker, Map<string, Shared>>();

function entry(broker: Broker, table: string): Shared {
  let tables = shared.get(broker);
  if (tables === undefined) shared.set(broker, (tables = new Map()));
  let found = tables.get(table);
  if (found === undefined) tables.set(table, (found = { sources: new Set(), listeners: new Set() }));
  return found;
}

/** Offers a processor's table (`table`: its changelog topic) to this process's readers; returns the withdrawal. */
export function offerUncommitted(broker: Broker, table: string, source: UncommittedSource): () => void {
  const found = entry(broker, table);
  found.sources.add(source);
  return () => found.sources.delete(source);
}

/** The source that owns `partition` of `table` here, if any. */
export function uncommittedOwner(broker: Broker, table: string, partition: number): UncommittedSource | undefined {
  for (const source of shared.get(broker)?.get(table)?.sources ?? []) if (source.owns(partition)) return source;
  return undefined;
}

/** Calls `listener` each time a batch of `table` was processed here; returns the unsubscribe. */
export function onProcessed(broker: Broker, table: string, listener: () => void): () => void {
  const found = entry(broker, table);
  found.listeners.add(listener);
  return () => found.listeners.delete(listener);
}

/** Tells this process's readers of `table` that a batch was processed (its changes readable). */
export function announceProcessed(broker: Broker, table: string): void {
  const listeners = shared.get(broker)?.get(table)?.listeners;
  if (listeners === undefined) return;
  for (const listener of listeners) listener();
}
