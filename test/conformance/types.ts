import type { TestContext } from 'node:test';
import type { Broker } from '../../src/broker/port.ts';
import type { BrokerSpec } from '../../src/broker/index.ts';

/**
 * What a broker implementation hands the conformance suite: how to get a broker for one test, and what it genuinely
 * cannot do or does differently. Every flag says why it exists; a flag that merely hides a bug is a bug.
 */
export interface ConformanceSetup {
  /**
   * A broker spec for one test. Embedded: a fresh, empty data directory (removed with `t.after`). Kafka: bootstrap
   * servers of a reachable cluster; when none is reachable it calls `t.skip()` (or fails the test, as the
   * environment demands) and returns `undefined`, and the test stops there. Topic and group names are unique per
   * test, so a shared cluster is fine.
   */
  spec(t: TestContext): BrokerSpec | undefined | Promise<BrokerSpec | undefined>;
  features: ConformanceFeatures;
}

export interface ConformanceFeatures {
  /**
   * `true` when an explicit `timestamp` comes back unchanged. A broker whose topics stamp records on append (Kafka's
   * `message.timestamp.type=LogAppendTime`) replaces it with the append time; the suite then only checks that the
   * timestamp is the time of the send.
   */
  exactTimestamps: boolean;
  /**
   * How to make the broker compact a compacted topic now, or `null` when it cannot be told to (Kafka's log cleaner
   * runs on its own schedule and never touches the active segment), in which case the compaction test is skipped.
   */
  compaction: CompactionFeature | null;
  /**
   * How to make the broker apply `retentionBytes` now, or `null` when retention runs only on the broker's own schedule
   * (Kafka checks every `log.retention.check.interval.ms`, five minutes by default), in which case it is skipped.
   */
  retention: RetentionFeature | null;
  /**
   * How state survives a process that dies without closing anything:
   * - `'sameDataDir'`: the log lives in a directory owned by one process (embedded). The crashed process's data dir
   *   is reopened by another process; while the owner lives, a second opener gets `HERALD_DATA_DIR_LOCKED`. Group
   *   membership dies with the process.
   * - `'remote'`: the log lives in a server (Kafka). The crashed member stays in its group until its session times
   *   out, so the crashing consumer uses {@link ConformanceFeatures.crashSessionTimeoutMs}.
   */
  crashRestart: 'sameDataDir' | 'remote';
  /** Session timeout of the consumer that gets killed (`'remote'` only: how long its partitions stay orphaned). */
  crashSessionTimeoutMs?: number;
  /**
   * A spec of this kind that points at nothing, to check `HERALD_BROKER_UNAVAILABLE`; `null` when the broker is
   * in-process and cannot be unreachable.
   */
  unreachableSpec: (() => BrokerSpec) | null;
  /**
   * Why `GroupConsumer.commitTransaction` cannot work here, or `null` when it does. The embedded broker's Kafka
   * listener does not implement Kafka's transaction APIs (a transactional InitProducerId, AddPartitionsToTxn,
   * TxnOffsetCommit, EndTxn and the markers read_committed fetches skip), so the Kafka adapter cannot commit a
   * transaction through it; the embedded broker itself and Kafka can.
   */
  noTransactions: string | null;
  /**
   * Failure guard for every wait (records to arrive, a rebalance to settle). Generous on purpose: it only turns a
   * hang into a clear failure; no test asserts how long anything takes.
   */
  timeoutMs: number;
}

export interface CompactionFeature {
  /** Topic configs a compacted topic needs for `force` to work (passed as `TopicSpec.configs`). */
  topicConfigs?: Record<string, string>;
  /** Compacts every partition of `topic` and resolves when done. */
  force(broker: Broker, topic: string): Promise<void>;
  /**
   * `true` when compaction keeps the tombstone of a deleted key for a while (Kafka keeps it for
   * `delete.retention.ms` so that readers can see the delete); `false` when the key vanishes entirely.
   */
  keepsTombstones: boolean;
}

export interface RetentionFeature {
  /** Applies retention to every partition of `topic` and resolves when done. */
  force(broker: Broker, topic: string): Promise<void>;
}
