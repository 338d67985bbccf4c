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

/**
 * How a group divides the partitions of its subscribed topics among members.
 * - `'spread'`: each partition goes to some member, balancing counts (partitions of one topic may land apart from
 *   the same-numbered partitions of another).
 * - `'co-partitioned'`: a member owns partition *p* of every subscribed topic or of none, so records with the same
 *   key in topics partitioned alike meet in one member (joins, a processor's inputs and its table). Every subscribed
 *   topic must have the same partition count: otherwise `start()` rejects with `HERALD_COPARTITION_MISMATCH`
 *   (details name each topic's count).
 */
export type AssignmentStrategy = 'spread' | 'co-partitioned';

/**
 * Which records a reader sees. `'read_committed'`: only records of committed transactions (and non-transactional
 * ones), never records of an open or aborted transaction. `'read_uncommitted'`: everything appended. The embedded
 * broker's own readers see only committed records at either level (its own transactions never outlive a call, and
 * the records of a Kafka transaction open through its Kafka listener stay above the last stable offset until it
 * commits); only `Admin.endOffsets` tells the levels apart there.
 */
export type Isolation = 'read_committed' | 'read_uncommitted';

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
  /** How partitions are divided among members. Default `'spread'`. */
  assignment?: AssignmentStrategy;
  /** Which records are handed over. Default `'read_committed'` (Herald never hands over aborted records). */
  isolation?: Isolation;
  /**
   * Identity of this member's transactions ({@link GroupConsumer.commitTransaction}), stable across restarts of the
   * same logical instance (e.g. `<group>-<instance id>`): when a new consumer with this id makes its first
   * transaction, an older one still alive (a zombie) is fenced — its open transaction is aborted and its later
   * `commitTransaction` calls reject with `HERALD_FENCED`. Two live instances must never share it. Default: derived
   * from the group and a random member suffix (no fencing across restarts). 1–200 characters, no whitespace.
   */
  transactionalId?: string;
  /**
   * Kafka: how long a transaction may stay open before the broker aborts it (the longest a crashed member's open
   * transaction can stall read_committed readers when no successor fences it). Default 10,000 ms. Ignored by the
   * embedded broker, whose transactions never outlive a call.
   */
  transactionTimeoutMs?: number;
  /**
   * Kafka: the least time between the starts of two of this member's transactions while they follow each other
   * (calls made meanwhile share the next transaction), whatever the load, in ms (0–60,000). For members whose
   * results are read before they commit, where a commit soon buys nothing and every transaction costs both sides
   * CPU. Default: the broker's `transactions.intervalMs`, applied in full only when the event loop is saturated
   * (`transaction-spacing.ts`). Ignored by the embedded broker.
   */
  transactionIntervalMs?: number;
}

/**
 * Successive `commitTransaction` calls that depend on each other: each made before the one before it settled (a
 * processor's batches of one partition, each computed on top of the one before). The calls of a chain are committed
 * in call order — in the same transaction as the call before or a later one — and once one of them fails, nothing
 * more of the chain is written: the broker sets `failure` to that call's error before its rejection is delivered,
 * and every call of the chain not written yet (those made after it, and any made before it still waiting) rejects
 * with it. A broken chain stays broken; the caller waits for the calls it made to settle, seeks back to after the
 * last one committed and starts a new chain.
 */
export interface CommitChain {
  /** `undefined` while every call so far is committed or still pending. */
  failure: unknown;
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
  /**
   * The exactly-once step: appends `records` and commits `positions` (offset = next to consume, as in `commit`) for
   * this member's group as ONE atomic unit — read_committed readers see all of the records and the group's offsets
   * move, or nothing at all happens. Resolves with the records' positions (same order) once durable. `records` may be
   * empty (a batch that only consumed); `positions` may name several owned partitions (at most one position per
   * partition; the last wins if repeated) and may be empty (records only, still atomic among themselves).
   *
   * Rejects, with nothing visible, with:
   * - `HERALD_NOT_ASSIGNED` when a position names a partition this member does not own (now, or — Kafka — in the
   *   group generation the commit is checked against: a rebalance took it away);
   * - `HERALD_FENCED` (not retriable) when a newer consumer with the same `transactionalId` has taken over: this
   *   member must stop processing; its partitions belong to the other instance;
   * - `HERALD_BROKER_UNAVAILABLE` / `HERALD_TIMEOUT` / `HERALD_STORAGE_FAILED` (retriable) when the broker or disk
   *   failed; seek back to the committed offsets and process again;
   * - `HERALD_INVALID_ARGUMENT` / `HERALD_TOPIC_NOT_FOUND` / `HERALD_PARTITION_OUT_OF_RANGE` for bad records, checked
   *   before anything is written.
   *
   * Calls are serialised per consumer (one transaction open at a time). Embedded: one storage transaction, with
   * ownership checked inside it. Kafka: a transactional producer owned by this consumer (see `transactionalId`),
   * offsets committed inside the transaction with the group's generation and member id (KIP-447 fencing).
   *
   * `chain`: see {@link CommitChain} — for a caller that makes the next call before this one has settled.
   */
  commitTransaction(records: OutgoingRecord[], positions: RecordPosition[], chain?: CommitChain): Promise<RecordPosition[]>;
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

/** What a topic keeps: bytes stored per partition (one copy) and its retention; `null` is unlimited. */
export interface TopicStorage {
  partitions: { partition: number; bytes: number }[];
  retentionMs: number | null;
  retentionBytes: number | null;
  /** The topic's own settings as the broker reports them (Kafka: those not left at the broker's default). */
  configs: Record<string, string>;
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

/** Options of {@link Admin.endOffsets}. */
export interface EndOffsetsOptions {
  /**
   * `'read_committed'` (default): `latest` is the last stable offset — the end a read_committed reader can reach
   * now (below any open transaction). `'read_uncommitted'`: the high watermark.
   */
  isolation?: Isolation;
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
  /** Its size and retention, for tools that show topics; `HERALD_TOPIC_NOT_FOUND` if missing. */
  topicStorage(name: string): Promise<TopicStorage>;
  /** Deletes a topic and its records; `HERALD_TOPIC_NOT_FOUND` if missing. */
  deleteTopic(name: string): Promise<void>;
  listGroups(): Promise<string[]>;
  /** `HERALD_GROUP_NOT_FOUND` if the group has neither members nor committed offsets. */
  describeGroup(group: string): Promise<GroupInfo>;
  /**
   * Up to `limit` records of one partition starting at `offset` (clamped to the earliest stored), committed records
   * only (read_committed).
   */
  read(position: RecordPosition, limit: number): Promise<BrokerRecord[]>;
  /**
   * For every partition of `topic`: `earliest` (first offset stored) and `latest` = the end a reader with the given
   * isolation can reach now. A reader is caught up when its position is >= `latest` — never count records to decide
   * it: transaction markers and compaction occupy offsets without visible records, so visible offsets are not
   * contiguous. `HERALD_TOPIC_NOT_FOUND` if missing.
   */
  endOffsets(topic: string, options?: EndOffsetsOptions): Promise<PartitionInfo[]>;
}

/** Options of a {@link TailReader}. */
export interface TailReaderOptions {
  /** Partitions to read from the start and where each starts (clamped to the earliest stored). Default none. */
  from?: RecordPosition[];
  /** Most records handed over in one batch. Default 500. */
  maxBatchSize?: number;
  /** Identifies the reader in logs. */
  clientId?: string;
}

/** One partition's progress, handed to a {@link TailListener} with each batch. */
export interface TailBatch extends TopicPartition {
  /** Committed records in offset order; may be empty when only offsets without visible records were passed. */
  records: BrokerRecord[];
  /**
   * The next offset the reader will read in this partition: after the last record, or further when transaction
   * markers, aborted records or compaction gaps were skipped. Compare it to `Admin.endOffsets` to know whether the
   * reader is caught up.
   */
  next: number;
}

/** What a tail reader calls back with. */
export interface TailListener {
  /**
   * Records of one partition. The reader does not hand over the next batch of the same partition until the
   * returned promise settles (batches of different partitions may overlap). A throw is logged and the reader goes
   * on with the next batch (it does not retry): a listener that must not skip records handles its own failures or
   * `seek`s back.
   */
  onRecords(batch: TailBatch): Promise<void> | void;
}

/**
 * Reads given partitions from given offsets onward without joining a group (restoring a table, keeping a view),
 * read_committed. At the end of a partition it waits for new records without busy-polling (embedded: notified on
 * append; Kafka: long-polling fetches) and hands them over as they are committed.
 */
export interface TailReader {
  /**
   * Starts reading the assigned partitions and handing batches to `listener`. Rejects with
   * `HERALD_TOPIC_NOT_FOUND` / `HERALD_PARTITION_OUT_OF_RANGE` when an assigned partition does not exist.
   */
  start(listener: TailListener): Promise<void>;
  /**
   * Adds partitions (or moves ones already read) to start at the given offsets. A missing topic or partition rejects
   * with the same codes as `start`.
   */
  assign(positions: RecordPosition[]): Promise<void>;
  /** Stops reading these partitions; resolves once the listener has finished their batches in progress. */
  unassign(partitions: TopicPartition[]): Promise<void>;
  /** The next batch of this assigned partition starts at `offset` (records fetched before are dropped). */
  seek(position: RecordPosition): void;
  /** Each assigned partition with the next offset the reader will read in it. */
  positions(): RecordPosition[];
  /** Stops reading; resolves once the listener has finished its batches. Idempotent. */
  close(): Promise<void>;
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
  /** A reader of given partitions from given offsets, with no group (see {@link TailReader}). */
  reader(options?: TailReaderOptions): TailReader;
  readonly admin: Admin;
  /** Closes every producer and consumer it made, then itself. Idempotent. */
  stop(): Promise<void>;
}
