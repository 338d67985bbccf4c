/**
 * Herald's {@link GroupConsumer} on `@platformatic/kafka`: the library's `Consumer` runs the group membership
 * (classic protocol: JoinGroup/SyncGroup, heartbeats, OffsetCommit; Herald's round-robin assignor), a {@link Fetcher}
 * fetches and hands records over, and {@link Assignments} keeps the listener's view of ownership.
 *
 * Rebalance and `onRevoked`: the library offers no revocation callback, but before every JoinGroup it asks for the
 * member's subscription user data (`protocolsMetadata`) and waits for the promise it gets. Herald answers that
 * question only after it stopped handing over the owned partitions, let in-flight batches finish and awaited
 * `onRevoked` — so the listener can still commit (the group's generation is still valid: the coordinator accepts
 * commits while it waits for members to rejoin). With the eager protocol every rebalance revokes everything and
 * assigns afresh.
 *
 * Limits: the library stops heartbeating before it asks, so `onRevoked` (with in-flight batches) must finish within
 * `sessionTimeoutMs`; past it Herald lets the join go ahead (the coordinator expels a silent member anyway). A
 * member expelled that way, or cut off from the coordinator for a session, learns it only when it next talks to the
 * group: its `onRevoked` then comes after the partitions may already have moved. Its late commits fail with
 * ILLEGAL_GENERATION/UNKNOWN_MEMBER_ID, upon which the library rejoins and retries them in the new generation,
 * which the coordinator accepts (classic groups do not check who owns a partition): the position may jump back
 * (records handed over again) or forward over records this member did process — nothing is lost, which is the
 * at-least-once window. The group does not notice partitions added to a subscribed topic later (the library's
 * classic protocol does not watch partition counts); a member joining or leaving picks them up.
 */
import { ConnectionPool, Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import type {
  CommitChain,
  ConsumerListener,
  ConsumerOptions,
  GroupConsumer,
  OutgoingRecord,
  RecordPosition,
  TopicPartition,
} from '../port.ts';
import { Assignments } from './assignments.ts';
import { roundRobinBySubscription } from './assignor.ts';
import { CO_PARTITIONED_PROTOCOL, coPartitionedBySubscription } from './co-partitioned-assignor.ts';
import { CommitQueue } from './commits.ts';
import { whileCoordinatorMoves } from './coordinator.ts';
import { type ResolvedConsumerOptions, resolveConsumerOptions } from './consumer-options.ts';
import { describeError, toHeraldError } from './errors.ts';
import { Fetcher } from './fetcher.ts';
import { topicsMetadata } from './metadata.ts';
import { childClientId, type KafkaSettings } from './options.ts';
import { checkCoPartitioned, checkList, checkPosition, checkTopicPartition } from '../rules.ts';
import { stableCommittedOffsets } from './stable-offsets.ts';
import { TransactionalCommitter } from './transactions.ts';

/** After the library gave up rejoining (coordinator unreachable), try again this often. */
const REJOIN_RETRY_MS = 1_000;
/** How long `start` keeps joining while the group's coordinator is being elected or loaded (a broker restarted). */
const START_JOIN_MS = 30_000;
const FETCH_MAX_WAIT_MS = 250;
const PARTITION_MAX_BYTES = 1_048_576;
const FETCH_MAX_BYTES = 52_428_800;

type State = 'new' | 'starting' | 'running' | 'closing' | 'closed';

export class KafkaGroupConsumer implements GroupConsumer {
  readonly #settings: KafkaSettings;
  readonly #options: ResolvedConsumerOptions;
  readonly #log: Logger;
  readonly #onClosed: () => void;
  #state: State = 'new';
  #client: Consumer | undefined;
  #pool: ConnectionPool | undefined;
  /** Stable committed-offset lookups (read_committed members), opened at the first. */
  #offsetsPool: ConnectionPool | undefined;
  #commits: CommitQueue | undefined;
  #assignments: Assignments | undefined;
  #transactions: TransactionalCommitter | undefined;
  #rejoinTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  /** Validates `options` (`HERALD_INVALID_ARGUMENT`); nothing connects before `start`. */
  constructor(settings: KafkaSettings, options: ConsumerOptions, log: Logger, onClosed: () => void) {
    this.#settings = settings;
    this.#options = resolveConsumerOptions(options);
    this.#log = log.child({ group: this.#options.group });
    this.#onClosed = onClosed;
  }

  /**
   * Joins the group and resolves once this member is in it and its first assignment was handed to `onAssigned`
   * (fetching then starts at each partition's committed offset, else at `startAt`). Rejects with
   * `HERALD_TOPIC_NOT_FOUND` when a subscribed topic does not exist.
   */
  async start(listener: ConsumerListener): Promise<void> {
    if (this.#state !== 'new') {
      throw this.#state === 'closed' || this.#state === 'closing'
        ? new HeraldError('HERALD_BROKER_CLOSED', 'the consumer is closed')
        : new HeraldError('HERALD_INVALID_ARGUMENT', 'start() was already called');
    }
    if (typeof listener?.onRecords !== 'function') {
      throw new HeraldError('HERALD_INVALID_ARGUMENT', 'the listener needs an onRecords function');
    }
    this.#state = 'starting';
    const { group, topics, sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs } = this.#options;
    const clientId = this.#options.clientId ?? childClientId(this.#settings, 'consumer');
    const coPartitioned = this.#options.assignment === 'co-partitioned';
    const readCommitted = this.#options.isolation === 'read_committed';
    const client = new Consumer({
      ...this.#settings.base,
      clientId,
      groupId: group,
      autocommit: false,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs,
      rebalanceTimeout: rebalanceTimeoutMs,
      protocols: [{ name: coPartitioned ? CO_PARTITIONED_PROTOCOL : 'roundrobin', version: 1 }],
      partitionAssigner: coPartitioned ? coPartitionedBySubscription : roundRobinBySubscription,
      // The library's last call before every JoinGroup, and it waits for the promise: the revocation hook.
      protocolsMetadata: () => this.#assignments!.beforeJoin().then(() => Buffer.alloc(0)),
      isolationLevel: readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
    });
    // Fetches get their own connections: a long-polling Fetch must not delay heartbeats and commits.
    const pool = new ConnectionPool(clientId, { ...this.#settings.base });
    const fetcher = new Fetcher(
      client,
      pool,
      {
        topics,
        maxBatchSize: this.#options.maxBatchSize,
        maxWaitMs: FETCH_MAX_WAIT_MS,
        partitionMaxBytes: PARTITION_MAX_BYTES,
        maxBytes: FETCH_MAX_BYTES,
        readCommitted,
        deliver: (records) => listener.onRecords(records),
      },
      this.#log,
    );
    this.#client = client;
    this.#pool = pool;
    this.#commits = new CommitQueue(client);
    this.#assignments = new Assignments(client, fetcher, listener, this.#options, this.#log, (lookup) => {
      if (!readCommitted) return client.listCommittedOffsets({ topics: lookup });
      // Its own connection: the fetch pool's may be held by a long poll.
      this.#offsetsPool ??= new ConnectionPool(childClientId(this.#settings, 'offsets'), { ...this.#settings.base });
      return stableCommittedOffsets(client, this.#offsetsPool, lookup);
    });
    client.on('consumer:group:join', (payload) => this.#assignments?.joined(payload.assignments ?? []));
    client.on('error', (err: unknown) => this.#rejoinLater(err));
    this.#transactions = new TransactionalCommitter(
      this.#settings,
      {
        group,
        // Without an id of the caller's, one per consumer: no fencing across restarts, as the port documents.
        transactionalId: this.#options.transactionalId ?? `${group}-${randomBytes(8).toString('hex')}`,
        transactionTimeoutMs: this.#options.transactionTimeoutMs,
        intervalMs: this.#options.transactionIntervalMs,
      },
      { client: () => client, owns: (tp) => this.#assignments?.owns(tp) === true },
      this.#log,
    );
    try {
      const metadata = await topicsMetadata(client, topics);
      if (coPartitioned) {
        const counts = new Map(topics.map((topic) => [topic, metadata.topics.get(topic)?.partitionsCount ?? 0]));
        checkCoPartitioned(group, counts);
      }
      // Fence an older instance with this transactional id before taking its partitions.
      if (this.#options.transactionalId !== undefined) await this.#transactions.init();
      for (const topic of topics) client.topics.track(topic);
      await whileCoordinatorMoves(() => client.joinGroup({}), {
        withinMs: START_JOIN_MS,
        retryMs: REJOIN_RETRY_MS,
        going: () => this.#state === 'starting',
        onRetry: (err) => this.#log.warn({ err: describeError(err) }, `kafka group coordinator moving; joining again in ${REJOIN_RETRY_MS} ms`),
      });
      await this.#assignments.settled();
    } catch (err) {
      await this.close();
      throw toHeraldError(err, `join group ${group}`);
    }
    if (this.#state === 'starting') this.#state = 'running';
  }

  /** The library gave up (re)joining after its retries; keep trying while open. Partitions were revoked already. */
  #rejoinLater(err: unknown): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#log.warn({ err: describeError(err) }, `kafka group membership lost; rejoining in ${REJOIN_RETRY_MS} ms`);
    clearTimeout(this.#rejoinTimer);
    this.#rejoinTimer = setTimeout(() => {
      this.#client?.joinGroup({}).catch((again: unknown) => this.#rejoinLater(again));
    }, REJOIN_RETRY_MS);
  }

  #owned(tps: TopicPartition[], what: string, check: (tp: unknown, what: string) => void): void {
    if (this.#state === 'closed') throw new HeraldError('HERALD_BROKER_CLOSED', 'the consumer is closed');
    for (const tp of tps) {
      check(tp, what);
      if (this.#assignments?.owns(tp) !== true) {
        throw new HeraldError('HERALD_NOT_ASSIGNED', `${what}: ${tp.topic}/${tp.partition} is not assigned here`, {
          details: { topic: tp.topic, partition: tp.partition },
        });
      }
    }
  }

  /**
   * Stores, for each partition, the next offset to consume. Commits are sent one request at a time, later ones
   * merged, so they land in call order. Rejects with `HERALD_NOT_ASSIGNED` for a partition not owned here (before
   * sending anything), `HERALD_REBALANCE_IN_PROGRESS` when the group moved on meanwhile.
   */
  async commit(positions: RecordPosition[]): Promise<void> {
    checkList(positions, 'commit');
    this.#owned(positions, 'commit', checkPosition);
    if (positions.length === 0) return;
    await this.#commits!.commit(positions.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
  }

  seek(position: RecordPosition): void {
    this.#owned([position], 'seek', checkPosition);
    this.#assignments!.seek(position);
  }

  pause(partitions: TopicPartition[]): void {
    checkList(partitions, 'pause');
    this.#owned(partitions, 'pause', checkTopicPartition);
    for (const tp of partitions) this.#assignments!.setPaused(tp, true);
  }

  resume(partitions: TopicPartition[]): void {
    checkList(partitions, 'resume');
    this.#owned(partitions, 'resume', checkTopicPartition);
    for (const tp of partitions) this.#assignments!.setPaused(tp, false);
  }

  /** One Kafka transaction per call (see `transactions.ts`); calls are serialised. */
  commitTransaction(records: OutgoingRecord[], positions: RecordPosition[], chain?: CommitChain): Promise<RecordPosition[]> {
    if (this.#state === 'closed' || this.#transactions === undefined) {
      return Promise.reject(
        this.#state === 'new'
          ? new HeraldError('HERALD_INVALID_ARGUMENT', 'commitTransaction before start()')
          : new HeraldError('HERALD_BROKER_CLOSED', 'the consumer is closed'),
      );
    }
    return this.#transactions.commit(records, positions, chain);
  }

  assignment(): TopicPartition[] {
    return this.#assignments?.owned() ?? [];
  }

  /** Stops fetching, lets in-flight batches finish, calls `onRevoked` for everything owned, leaves the group. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = 'closing';
    clearTimeout(this.#rejoinTimer);
    try {
      await this.#assignments?.close();
      await this.#transactions?.close();
      // Leaves the group (LeaveGroup), so the others rebalance now instead of after the session timeout.
      await this.#client?.close();
    } catch (err) {
      this.#log.warn({ err: describeError(err) }, 'kafka consumer did not leave its group cleanly');
      // A refused close leaves the library's member open, heartbeating for ever (e.g. "cannot leave group while
      // consuming messages" when a stream opened meanwhile): closing with force ends its streams and its heartbeat.
      await this.#client?.close(true).catch((forced: unknown) => {
        this.#log.warn({ err: describeError(forced) }, 'kafka consumer: closing with force failed too');
      });
    }
    await this.#pool?.close().catch(() => {});
    await this.#offsetsPool?.close().catch(() => {});
    this.#state = 'closed';
    this.#onClosed();
  }
}
