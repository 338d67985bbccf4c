/**
 * The broker port: the only way Herald's core and services talk to a log. Two implementations exist —
 * `embedded/` (a durable single-machine log inside the process) and `kafka/` (Apache Kafka). Both must pass
 * `test/conformance/`. Nothing outside `src/broker/kafka/` imports a Kafka client.
 *
 * Conventions shared by every method:
 * - Offsets are non-negative integers (JavaScript numbers; exact up to 2^53), strictly increasing per partition.
 * - A committed offset is the offset of the *next* record to consume (Kafka's convention): committing `n` means
 *   records `0..n-1` of that partition are done.
 * - Failures are {@link HeraldError}s: bad arguments are `HERALD_INVALID_ARGUMENT`, a missing topic is
 *   `HERALD_TOPIC_NOT_FOUND`, a partition outside the topic is `HERALD_PARTITION_OUT_OF_RANGE`, an unreachable
 *   broker is `HERALD_BROKER_UNAVAILABLE` (retriable), use after `close()` is `HERALD_BROKER_CLOSED`.
 */

/** Record headers. Kafka allows bytes; Herald carries UTF-8 strings, one value per name. */
export type Headers = Record<string, string>;

/** A topic and one of its partitions. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Where a record is (or should resume): a topic, a partition and an offset. */
export interface RecordPosition extends TopicPartition {
  offset: number;
}

/** A record to produce. */
export interface OutgoingRecord {
  topic: string;
  /**
   * Routes the record: with `partition` unset, a key goes to `murmur2(key) mod partitions` exactly as Kafka's Java
   * client computes it (see `partitioner.ts`); no key spreads records over partitions.
   */
  key?: Buffer | null;
  /** The payload; `null` is a tombstone (deletes the key in a compacted topic). */
  value: Buffer | null;
  headers?: Headers;
  /** Explicit partition; wins over the key. Out of range => `HERALD_PARTITION_OUT_OF_RANGE`. */
  partition?: number;
  /** Milliseconds since the epoch; defaults to the time of the send. */
  timestamp?: number;
}

/** A record read from the log. */
export interface BrokerRecord extends RecordPosition {
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  timestamp: number;
}

/** Produces records. One producer may be shared by many concurrent callers. */
export interface Producer {
  /**
   * Appends records and resolves with their positions (same order as the input) only once every one of them is
   * durable (embedded: committed to disk under the configured durability policy; Kafka: acknowledged by all in-sync
   * replicas). If it rejects, none of the records must be assumed written; records of one call to one partition are
   * appended in the order given. Records are validated before anything is written: a bad record rejects the whole
   * call with nothing written.
   */
  send(records: OutgoingRecord[]): Promise<RecordPosition[]>;
  /** Waits for in-flight sends, then releases resources. Later sends reject with `HERALD_BROKER_CLOSED`. */
  close(): Promise<void>;
}

/** Options of a consumer that is a member of a consumer group. */
export interface ConsumerOptions {
  /** The consumer group; partitions of the subscribed topics are divided among its live members. */
  group: string;
  topics: string[];
  /** Where a partition without a committed offset starts. Default `'earliest'`. */
  startAt?: 'earliest' | 'latest';
  /** Most records handed over in one batch. Default 500. */
  maxBatchSize?: number;
  /** A member that stops heartbeating for this long is removed from the group. Default 10,000 ms. */
  sessionTimeoutMs?: number;
  /** Identifies this member in group descriptions and logs. */
  clientId?: string;
}

/** What a group consumer calls back with. */
export interface ConsumerListener {
  /**
   * Records of one partition, in offset order, never repeating a record already handed over unless the partition
   * was sought (`seek`) or reassigned. The consumer does not hand over the next batch *of the same partition* until
   * the returned promise settles (per-partition backpressure); batches of different partitions may overlap.
   * Throwing does not commit anything; the records are not handed over again unless the partition is sought or
   * reassigned.
   */
  onRecords(records: BrokerRecord[]): Promise<void> | void;
  /** Partitions newly given to this member. Called before their first records. */
  onAssigned?(partitions: TopicPartition[]): Promise<void> | void;
  /**
   * Partitions about to be taken away (rebalance or close). The consumer awaits this before giving them up, so the
   * listener can finish in-flight work and commit. No records of these partitions arrive after it is called.
   */
  onRevoked?(partitions: TopicPartition[]): Promise<void> | void;
}

/**
 * A member of a consumer group. Each partition of the subscribed topics is owned by exactly one live member;
 * members joining or leaving trigger a reassignment. A partition resumes at its committed offset, else at
 * `startAt`. Records handed over but not committed are handed over again after a restart or reassignment
 * (at-least-once).
 */
export interface GroupConsumer {
  /** Joins the group and starts delivering to `listener`. Resolves once this member has joined. */
  start(listener: ConsumerListener): Promise<void>;
  /**
   * Commits, for each position, `offset` = the next offset to consume in that partition. Only positions of
   * partitions this member owns are accepted (`HERALD_NOT_ASSIGNED` otherwise). Resolves once durable.
   */
  commit(positions: RecordPosition[]): Promise<void>;
  /** The next records handed over for this owned partition start at `offset`. */
  seek(position: RecordPosition): void;
  /** Stops handing over records of these partitions (they stay owned) until `resume`. */
  pause(partitions: TopicPartition[]): void;
  resume(partitions: TopicPartition[]): void;
  /** Partitions this member owns now. */
  assignment(): TopicPartition[];
  /** Stops fetching, calls `onRevoked` for owned partitions, leaves the group. Idempotent. */
  close(): Promise<void>;
}

/** How to create a topic. */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** Keep only the latest record per key; a `null` value deletes the key. */
  compacted?: boolean;
  /** Kafka only; the embedded broker has one copy. */
  replicationFactor?: number;
  /** Delete records older than this (normal topics). */
  retentionMs?: number;
  /** Delete the oldest records once a partition holds more than this many bytes (normal topics). */
  retentionBytes?: number;
  /** Extra broker-specific topic configs (Kafka: passed through, e.g. `min.insync.replicas`). */
  configs?: Record<string, string>;
}

/** One partition of a topic: `earliest` = first offset still stored, `latest` = next offset to be written. */
export interface PartitionInfo {
  partition: number;
  earliest: number;
  latest: number;
}

export interface TopicInfo {
  name: string;
  compacted: boolean;
  partitions: PartitionInfo[];
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  assignment: TopicPartition[];
}

/** Committed offset, end of log and the difference, for one partition a group has committed or owns. */
export interface GroupOffset extends TopicPartition {
  /** `null` when the group has never committed this partition. */
  committed: number | null;
  latest: number;
  /** `latest - committed` (or `latest - earliest` when nothing is committed). */
  lag: number;
}

export interface GroupInfo {
  group: string;
  members: GroupMember[];
  offsets: GroupOffset[];
}

/** Topic and group administration, and reading records at a position without joining a group. */
export interface Admin {
  /** Creates a topic; `HERALD_TOPIC_EXISTS` if it exists. */
  createTopic(spec: TopicSpec): Promise<void>;
  /** Creates the topic if missing; an existing topic is left as it is. */
  ensureTopic(spec: TopicSpec): Promise<void>;
  listTopics(): Promise<TopicInfo[]>;
  /** `HERALD_TOPIC_NOT_FOUND` if missing. */
  describeTopic(name: string): Promise<TopicInfo>;
  /** Deletes a topic and its records; `HERALD_TOPIC_NOT_FOUND` if missing. */
  deleteTopic(name: string): Promise<void>;
  listGroups(): Promise<string[]>;
  /** `HERALD_GROUP_NOT_FOUND` if the group has neither members nor committed offsets. */
  describeGroup(group: string): Promise<GroupInfo>;
  /** Up to `limit` records of one partition starting at `offset` (clamped to the earliest stored). */
  read(position: RecordPosition, limit: number): Promise<BrokerRecord[]>;
}

/** A broker: a factory of producers and consumers plus administration. */
export interface Broker {
  /** `'embedded'` or `'kafka'`. */
  readonly kind: string;
  /** Opens storage / connects. Must be called once before anything else. */
  start(): Promise<void>;
  /** Resolves when the broker answers; rejects with `HERALD_BROKER_UNAVAILABLE` otherwise (used by /readyz). */
  ping(): Promise<void>;
  producer(): Producer;
  consumer(options: ConsumerOptions): GroupConsumer;
  readonly admin: Admin;
  /** Closes every producer and consumer it made, then itself. Idempotent. */
  stop(): Promise<void>;
}
