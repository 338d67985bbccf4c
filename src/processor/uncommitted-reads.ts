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
import { PerTopic } from './per-topic.ts';

/** One processor's table in this process, owned partitions only. */
export interface UncommittedSource {
  /** Whether the partition is owned and restored here (else the reader keeps to its committed copy). */
  owns(partition: number): boolean;
  /** The encoded value of `key` in `partition` as the next batch reads it; `undefined` when absent. */
  read(partition: number, key: string): Buffer | undefined;
  /** The next offset of `topic`'s `partition` after the records processed here (committed or in flight). */
  processed(topic: string, partition: number): number | undefined;
}

/** The processors offering each table here, and who waits for their batches. */
const sources = new PerTopic<UncommittedSource>();
const processedListeners = new PerTopic<() => void>();

/** Offers a processor's table (`table`: its changelog topic) to this process's readers; returns the withdrawal. */
export function offerUncommitted(broker: Broker, table: string, source: UncommittedSource): () => void {
  return sources.add(broker, table, source);
}

/** The source that owns `partition` of `table` here, if any. */
export function uncommittedOwner(broker: Broker, table: string, partition: number): UncommittedSource | undefined {
  for (const source of sources.get(broker, table) ?? []) if (source.owns(partition)) return source;
  return undefined;
}

/** Calls `listener` each time a batch of `table` was processed here; returns the unsubscribe. */
export function onProcessed(broker: Broker, table: string, listener: () => void): () => void {
  return processedListeners.add(broker, table, listener);
}

/** Tells this process's readers of `table` that a batch was processed (its changes readable). */
export function announceProcessed(broker: Broker, table: string): void {
  for (const listener of processedListeners.get(broker, table) ?? []) listener();
}
