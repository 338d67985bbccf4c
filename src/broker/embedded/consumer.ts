import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import type {
  BrokerRecord,
  CommitChain,
  ConsumerListener,
  GroupConsumer,
  OutgoingRecord,
  RecordPosition,
  TopicPartition,
} from '../port.ts';
import type { GroupCoordinator, GroupMember } from './group-coordinator.ts';
import type { Notifier } from './notifier.ts';
import type { CommittedOffsets } from './offsets.ts';
import { PartitionFetcher } from './partition-fetcher.ts';
import type { PartitionLog } from './partition-log.ts';
import { prepareRecords } from './producer.ts';
import type { TopicRegistry } from './topics.ts';
import { breakChain, checkChain, checkCoPartitioned, checkList, checkPosition, checkTopicPartition } from '../rules.ts';
import type { ResolvedConsumerOptions } from './options.ts';
import type { TransactionalIds } from './transactional-ids.ts';
import type { OffsetCommit, Writer } from './writer.ts';

/** What a consumer needs from its broker; the getters throw the broker's lifecycle error when it is not running. */
export interface ConsumerContext {
  topics(): TopicRegistry;
  writer(): Writer;
  offsets(): CommittedOffsets;
  notifier(): Notifier;
  coordinator(group: string): GroupCoordinator;
  transactionalIds: TransactionalIds;
  logger: Logger | undefined;
  /** Whether Kafka clients on the broker's Kafka listener hold `group` now (then this consumer may not join). */
  groupHeldElsewhere?(group: string): boolean;
  onClosed(consumer: EmbeddedConsumer): void;
}

/** Which consumer's `onRecords` the current async context runs in, so `close()` called from there does not wait on itself. */
const insideListener = new AsyncLocalStorage<EmbeddedConsumer>();

function invalid(message: string): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', message);
}

type State = 'idle' | 'joining' | 'member' | 'fenced' | 'closing' | 'closed';

function notAssigned(tp: TopicPartition): HeraldError {
  return new HeraldError(
    'HERALD_NOT_ASSIGNED',
    `partition ${tp.topic}[${tp.partition}] is not assigned to this consumer`,
    {
      details: { topic: tp.topic, partition: tp.partition },
    },
  );
}

function compareTp(a: TopicPartition, b: TopicPartition): number {
  return a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;
}

/** A member of a consumer group of the embedded broker (every member lives in this process). */
export class EmbeddedConsumer implements GroupConsumer, GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly options: ResolvedConsumerOptions;
  readonly #context: ConsumerContext;
  readonly #fetchers = new Map<PartitionLog, PartitionFetcher>();
  #listener: ConsumerListener | null = null;
  #state: State = 'idle';
  #closing: Promise<void> | null = null;

  constructor(options: ResolvedConsumerOptions, context: ConsumerContext) {
    this.options = options;
    this.clientId = options.clientId;
    this.memberId = `${options.clientId}-${randomBytes(6).toString('hex')}`;
    this.#context = context;
  }

  get topics(): readonly string[] {
    return this.options.topics;
  }

  /** Whether the coordinator may give this member partitions. */
  get active(): boolean {
    return this.#state === 'joining' || this.#state === 'member';
  }

  async start(listener: ConsumerListener): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') {
      throw new HeraldError('HERALD_BROKER_CLOSED', 'the consumer is closed');
    }
    if (this.#state !== 'idle') throw invalid('the consumer is already started');
    if (listener === null || typeof listener !== 'object' || typeof listener.onRecords !== 'function') {
      throw invalid('listener must have an onRecords function');
    }
    const topics = this.#context.topics();
    const counts = new Map(this.options.topics.map((topic) => [topic, topics.require(topic).logs.length]));
    if (this.options.assignment === 'co-partitioned') checkCoPartitioned(this.options.group, counts);
    if (this.#context.groupHeldElsewhere?.(this.options.group)) {
      this.#context.logger?.warn(
        { group: this.options.group, clientId: this.clientId },
        'embedded broker: a consumer asked to join a group that Kafka clients hold; refused',
      );
      throw new HeraldError(
        'HERALD_GROUP_IN_USE',
        `consumer group ${JSON.stringify(this.options.group)} is in use by Kafka clients on the Kafka listener`,
        { details: { group: this.options.group } },
      );
    }
    this.#listener = listener;
    this.#state = 'joining';
    if (this.options.transactionalId !== undefined) {
      this.#context.transactionalIds.claim(this.options.transactionalId, this);
    }
    await this.#context.coordinator(this.options.group).join(this);
    if (this.#state === 'joining') this.#state = 'member';
  }

  commit(positions: RecordPosition[]): Promise<void> {
    try {
      if (this.#state === 'closed') throw new HeraldError('HERALD_BROKER_CLOSED', 'the consumer is closed');
      checkList(positions, 'commit');
      const commits = positions.map((position) => {
        checkPosition(position, 'commit');
        const log = this.#context.topics().log(position.topic, position.partition);
        if (!this.#fetchers.has(log)) throw notAssigned(position);
        return { group: this.options.group, log, offset: position.offset };
      });
      if (commits.length === 0) return Promise.resolve();
      return this.#context.writer().commitOffsets(commits);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  seek(position: RecordPosition): void {
    checkPosition(position, 'seek');
    this.#owned(position).seek(position.offset);
  }

  pause(partitions: TopicPartition[]): void {
    for (const fetcher of this.#ownedAmong(partitions, 'pause')) fetcher.pause();
  }

  resume(partitions: TopicPartition[]): void {
    for (const fetcher of this.#ownedAmong(partitions, 'resume')) fetcher.resume();
  }

  /**
   * One request to the writer: records and offsets share a SQLite transaction (group commit with other requests of
   * the same turn still applies), and ownership, the transactional id and the chain are checked inside the write,
   * so a rebalance, a newer instance or a call of the same chain failing between the call and the write
   * refuses it with nothing written.
   */
  commitTransaction(records: OutgoingRecord[], positions: RecordPosition[], chain?: CommitChain): Promise<RecordPosition[]> {
    try {
      if (this.#state === 'closed') throw new HeraldError('HERALD_BROKER_CLOSED', 'the consumer is closed');
      checkList(positions, 'commitTransaction');
      const topics = this.#context.topics();
      const prepared = prepareRecords(topics, records);
      const commits: OffsetCommit[] = positions.map((position) => {
        checkPosition(position, 'commitTransaction');
        const log = topics.log(position.topic, position.partition);
        return { group: this.options.group, log, offset: position.offset };
      });
      const check = () => {
        checkChain(chain);
        this.#checkFenced();
        for (const commit of commits) {
          if (!this.#fetchers.has(commit.log)) {
            throw notAssigned({ topic: commit.log.topic.name, partition: commit.log.partition });
          }
        }
      };
      check();
      if (prepared.length === 0 && commits.length === 0) return Promise.resolve([]);
      // Refused by the writer (stopped, a check, a topic deleted meanwhile, the write or its sync): the chain breaks
      // at once, as a later call of it may be checked in this same write.
      return this.#context.writer().transact(prepared, commits, check, (err) => breakChain(chain, err));
    } catch (err) {
      breakChain(chain, err);
      return Promise.reject(err);
    }
  }

  #checkFenced(): void {
    const id = this.options.transactionalId;
    if (id !== undefined && !this.#context.transactionalIds.holds(id, this)) {
      throw new HeraldError('HERALD_FENCED', `a newer consumer with transactional id ${id} took over`, {
        details: { transactionalId: id },
      });
    }
  }

  assignment(): TopicPartition[] {
    return [...this.#fetchers.values()].map((f) => ({ ...f.topicPartition })).sort(compareTp);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasMember = this.active;
    this.#state = 'closing';
    try {
      if (wasMember) await this.#context.coordinator(this.options.group).leave(this);
    } finally {
      for (const fetcher of this.#fetchers.values()) fetcher.stop();
      this.#fetchers.clear();
      if (this.options.transactionalId !== undefined) {
        this.#context.transactionalIds.release(this.options.transactionalId, this);
      }
      this.#state = 'closed';
      this.#context.onClosed(this);
    }
  }

  #owned(tp: TopicPartition): PartitionFetcher {
    const log = this.#context.topics().log(tp.topic, tp.partition);
    const fetcher = this.#fetchers.get(log);
    if (fetcher === undefined) throw notAssigned(tp);
    return fetcher;
  }

  /** Fetchers of the given partitions that this member owns; partitions it does not own are skipped. */
  #ownedAmong(partitions: TopicPartition[], what: string): PartitionFetcher[] {
    checkList(partitions, what);
    const found: PartitionFetcher[] = [];
    for (const tp of partitions) {
      checkTopicPartition(tp, what);
      const log = this.#context.topics().get(tp.topic)?.logs[tp.partition];
      const fetcher = log && this.#fetchers.get(log);
      if (fetcher) found.push(fetcher);
    }
    return found;
  }

  // ---- called by the group coordinator ----

  ownedLogs(): PartitionLog[] {
    return [...this.#fetchers.keys()];
  }

  owns(log: PartitionLog): boolean {
    return this.#fetchers.has(log);
  }

  /**
   * Gives up `logs`: no further batches, waits for the batches in flight (unless called from inside this
   * consumer's own `onRecords`, which would wait on itself), awaits `onRevoked` (commits are still accepted
   * during it), then forgets the partitions.
   */
  async revoke(logs: PartitionLog[]): Promise<void> {
    const fetchers = logs.map((log) => this.#fetchers.get(log)).filter((f) => f !== undefined);
    for (const fetcher of fetchers) fetcher.stop();
    if (insideListener.getStore() !== this) await Promise.all(fetchers.map((f) => f.settled()));
    await this.#callListener(
      'onRevoked',
      fetchers.map((f) => ({ ...f.topicPartition })),
    );
    for (const fetcher of fetchers) {
      if (this.#fetchers.get(fetcher.log) === fetcher) this.#fetchers.delete(fetcher.log);
    }
  }

  /** Takes `logs`: each resumes at the group's committed offset, else at `startAt`; `onAssigned` runs first. */
  async assign(logs: PartitionLog[]): Promise<void> {
    const offsets = this.#context.offsets();
    const notifier = this.#context.notifier();
    const fetchers = logs.map((log) => {
      const committed = offsets.get(this.options.group, log.id);
      const position = committed ?? (this.options.startAt === 'earliest' ? log.earliest() : log.next);
      const fetcher = new PartitionFetcher(
        log,
        position,
        notifier,
        this.options.maxBatchSize,
        (records) => this.#deliver(records),
        (err) => this.#context.logger?.error({ err, group: this.options.group }, 'embedded broker: read failed'),
      );
      this.#fetchers.set(log, fetcher);
      return fetcher;
    });
    await this.#callListener(
      'onAssigned',
      fetchers.map((f) => ({ ...f.topicPartition })),
    );
    for (const fetcher of fetchers) {
      if (this.#fetchers.get(fetcher.log) === fetcher) fetcher.start();
    }
  }

  /**
   * The group gave up waiting for this member (it did not release partitions within `sessionTimeoutMs`): drop
   * everything without callbacks; commits fail with `HERALD_NOT_ASSIGNED` from now on. Once the stuck work
   * settles, the member joins again, like a Kafka consumer that returns to `poll()` after being kicked out.
   */
  fence(stuck: Promise<unknown>): void {
    for (const fetcher of this.#fetchers.values()) fetcher.stop();
    this.#fetchers.clear();
    if (!this.active) return;
    this.#state = 'fenced';
    this.#context.logger?.warn(
      { group: this.options.group, memberId: this.memberId, sessionTimeoutMs: this.options.sessionTimeoutMs },
      'embedded broker: consumer did not release its partitions in time; removed from the group',
    );
    stuck
      .catch(() => {})
      .then(() => {
        if (this.#state !== 'fenced') return;
        this.#state = 'joining';
        return this.#context.coordinator(this.options.group).join(this);
      })
      .then(() => {
        if (this.#state === 'joining') this.#state = 'member';
      })
      .catch((err) => this.#context.logger?.warn({ err, memberId: this.memberId }, 'embedded broker: rejoin failed'));
  }

  async #deliver(records: BrokerRecord[]): Promise<void> {
    try {
      await insideListener.run(this, () => this.#listener!.onRecords(records));
    } catch (err) {
      // The contract: a failed batch is not committed and not handed over again unless sought or reassigned.
      this.#context.logger?.warn(
        {
          err,
          group: this.options.group,
          topic: records[0].topic,
          partition: records[0].partition,
          offset: records[0].offset,
        },
        'embedded broker: onRecords failed',
      );
    }
  }

  async #callListener(name: 'onAssigned' | 'onRevoked', partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    const callback = this.#listener?.[name];
    if (callback === undefined) return;
    partitions.sort(compareTp);
    try {
      await callback.call(this.#listener, partitions);
    } catch (err) {
      this.#context.logger?.warn(
        { err, group: this.options.group, memberId: this.memberId },
        `embedded broker: ${name} failed`,
      );
    }
  }
}
