/**
 * The embedded broker: a durable single-machine log inside the Herald process, on `node:sqlite`.
 *
 * - Storage (`store.ts`, `partition-log.ts`): one SQLite database per data directory, WAL mode,
 *   `synchronous=NORMAL`; for durability `'fsync'` the log is synced with `fdatasync` off the event loop. Each
 *   partition is its own table of record batches in Kafka's v2 format, one row per batch (`batch-table.ts`,
 *   `stored-batch.ts`), compacted topics included. A data directory of an older layout (a row per record) is
 *   converted at open (`migrate.ts`).
 * - Writes (`writer.ts`): sends and offset commits of one event-loop turn share one transaction (group commit);
 *   each resolves after that commit and, for `'fsync'`, the next sync of the log (one sync covers every commit
 *   made before it starts). Validation (the port's `rules.ts`, then `producer.ts`) happens before anything is queued.
 * - Ownership (`lock.ts`): a `herald.lock` file naming the owner pid, plus SQLite's exclusive lock for the life of
 *   the connection.
 * - Groups (`group-coordinator.ts`, `consumer.ts`, `partition-fetcher.ts`): all members live in this process;
 *   fetchers sleep on an in-process notifier (`notifier.ts`) at the end of a partition instead of polling.
 *   `commitTransaction` is one writer request (records + offsets in one SQLite transaction), ownership and the
 *   transactional id (`transactional-ids.ts`) checked inside the write. Tail readers (`tail-reader.ts`) use the
 *   same fetchers without a group.
 * - Open transactions (`open-transaction.ts`): Kafka transactions through the listener stay open across
 *   requests; their records are in the log, and every reader stops at the partition's last stable offset
 *   (`PartitionLog.next`) until they end. Aborted ones are removed; ones open at a stop or crash are aborted at the
 *   next start (`abort-open-transactions.ts`).
 * - Cleaning (`cleaner.ts`, `retention.ts`, `compaction.ts`): a background timer, also callable on demand.
 * - Kafka clients (`kafka-protocol/`): an optional listener speaking the Kafka protocol over the same log, groups
 *   and committed offsets; started last, stopped first.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import type {
  Broker,
  ConsumerOptions,
  GroupConsumer,
  Producer,
  TailReader,
  TailReaderOptions,
} from '../port.ts';
import { abortOpenTransactions } from './abort-open-transactions.ts';
import { EmbeddedAdmin } from './admin.ts';
import { Cleaner } from './cleaner.ts';
import { EmbeddedConsumer } from './consumer.ts';
import { checkInitialised, markInitialised } from './data-dir.ts';
import { GroupCoordinator } from './group-coordinator.ts';
import { brokerAccess, externalGroups, KafkaListener } from './kafka-protocol/index.ts';
import { acquireDataDirLock, type DataDirLock, describeFsError, lockedError } from './lock.ts';
import { Notifier } from './notifier.ts';
import { CommittedOffsets } from './offsets.ts';
import {
  type EmbeddedBrokerOptions,
  type EmbeddedBrokerSpec,
  type ResolvedOptions,
  resolveEmbeddedConsumerOptions,
  resolveOptions,
} from './options.ts';
import { EmbeddedProducer } from './producer.ts';
import { DB_FILE, isBusy, Store, storageError } from './store.ts';
import { EmbeddedTailReader } from './tail-reader.ts';
import { TopicRegistry } from './topics.ts';
import { TransactionalIds } from './transactional-ids.ts';
import { Writer } from './writer.ts';

export type { EmbeddedBrokerOptions, EmbeddedBrokerSpec } from './options.ts';

/** The embedded broker: the {@link Broker} port plus on-demand cleaning (used by tests and admin tooling). */
export interface EmbeddedBroker extends Broker {
  readonly kind: 'embedded';
  readonly dataDir: string;
  /**
   * Compacts the named compacted topic (or every compacted topic) now, as the background cleaner would: keeps the
   * newest record per key and removes tombstones older than the delete retention. Resolves with the number of
   * records removed.
   */
  compactNow(topic?: string): Promise<number>;
  /** Applies `retentionMs`/`retentionBytes` to the named topic (or all) now; resolves with records removed. */
  enforceRetentionNow(topic?: string): Promise<number>;
  /** Where Kafka clients reach the broker's Kafka listener, or `null` when it does not listen. */
  kafkaListenerAddress(): { host: string; port: number } | null;
}

/** Everything that exists only while the broker runs. */
interface Running {
  lock: DataDirLock;
  store: Store;
  topics: TopicRegistry;
  offsets: CommittedOffsets;
  notifier: Notifier;
  writer: Writer;
  cleaner: Cleaner;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

class EmbeddedBrokerImpl implements EmbeddedBroker {
  readonly kind = 'embedded' as const;
  readonly admin: EmbeddedAdmin;
  readonly #options: ResolvedOptions;
  readonly #logger: Logger | undefined;
  #state: State = 'new';
  #starting: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  #running: Running | null = null;
  readonly #producers = new Set<EmbeddedProducer>();
  readonly #consumers = new Set<EmbeddedConsumer>();
  readonly #readers = new Set<EmbeddedTailReader>();
  readonly #coordinators = new Map<string, GroupCoordinator>();
  #listener: KafkaListener | null = null;
  readonly #transactionalIds = new TransactionalIds();

  constructor(options: ResolvedOptions, logger?: Logger) {
    this.#options = options;
    this.#logger = logger?.child({ component: 'embedded-broker' });
    this.admin = new EmbeddedAdmin({
      topics: () => this.#live().topics,
      offsets: () => this.#live().offsets,
      coordinators: () => this.#coordinators.values(),
      external: externalGroups(() => this.#listener?.groups ?? null),
      topicChanged: (topic) => {
        for (const coordinator of this.#coordinators.values()) {
          if (coordinator.subscribes(topic)) coordinator.topicsChanged().catch(() => {});
        }
      },
    });
  }

  get dataDir(): string {
    return this.#options.dataDir;
  }

  /** The running parts, for public entry points: `HERALD_BROKER_UNAVAILABLE` before start, `_CLOSED` after stop. */
  #live(): Running {
    if (this.#state === 'running') return this.#running!;
    if (this.#state === 'new' || this.#state === 'starting') {
      throw new HeraldError('HERALD_BROKER_UNAVAILABLE', 'the embedded broker is not started');
    }
    throw new HeraldError('HERALD_BROKER_CLOSED', 'the embedded broker is stopped');
  }

  /** The running parts, for producers and consumers finishing their work while the broker stops. */
  #internal(): Running {
    if (this.#state === 'stopping' && this.#running !== null) return this.#running;
    return this.#live();
  }

  start(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      return Promise.reject(new HeraldError('HERALD_BROKER_CLOSED', 'the embedded broker is stopped'));
    }
    this.#starting ??= this.#start().catch((err) => {
      this.#starting = null;
      this.#state = 'new';
      throw err;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#state = 'starting';
    const { dataDir } = this.#options;
    try {
      fs.mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new HeraldError('HERALD_STORAGE_FAILED', `cannot create data directory ${dataDir}: ${describeFsError(err)}`, {
        cause: err,
      });
    }
    const lock = acquireDataDirLock(dataDir);
    let store: Store;
    let initialised: ReturnType<typeof checkInitialised>;
    try {
      initialised = checkInitialised(dataDir, DB_FILE, this.#options.acceptEmptyStorage);
      store = new Store(dataDir, this.#options);
    } catch (err) {
      const busy = isBusy(err);
      lock.release(busy);
      // SQLite's own lock is held although the lock file let us in: the file was removed by hand, or named
      // another host's process whose liveness we could not check.
      if (busy) throw lockedError(dataDir, lock.displaced);
      throw err instanceof HeraldError
        ? err
        : storageError(`cannot open ${dataDir}`, err, path.join(dataDir, DB_FILE));
    }
    if (initialised.warning !== undefined) this.#logger?.warn({ dataDir }, initialised.warning);
    if (store.warning !== undefined) this.#logger?.warn({ dataDir }, store.warning);
    try {
      if (initialised.markerNeeded) markInitialised(dataDir, DB_FILE);
      const topics = new TopicRegistry(store);
      if (topics.lostBatches > 0) {
        this.#logger?.warn(
          { batches: topics.lostBatches },
          'embedded broker: deleted batches whose bytes an OS crash lost before they were synced',
        );
      }
      const aborted = abortOpenTransactions(store, topics);
      if (aborted > 0) {
        this.#logger?.warn({ aborted }, 'embedded broker: aborted Kafka transactions left open by the last stop');
      }
      const offsets = new CommittedOffsets(store);
      const notifier = new Notifier();
      const writer = new Writer(store, notifier, offsets, this.#logger);
      const cleaner = new Cleaner(
        topics,
        {
          intervalMs: this.#options.cleanerIntervalMs,
          chunkSize: this.#options.cleanerChunkSize,
          deleteRetentionMs: this.#options.deleteRetentionMs,
          store,
        },
        this.#logger,
      );
      this.#running = { lock, store, topics, offsets, notifier, writer, cleaner };
    } catch (err) {
      store.close();
      lock.release();
      throw err instanceof HeraldError
        ? err
        : storageError(`cannot load ${dataDir}`, err, path.join(dataDir, DB_FILE));
    }
    this.#running.cleaner.start();
    this.#state = 'running';
    const topics = this.#running.topics;
    topics.dropOrphans().then(
      (dropped) => {
        if (dropped > 0) this.#logger?.warn({ dropped }, 'embedded broker: dropped log tables a crash left unnamed');
      },
      (err: unknown) => this.#logger?.warn({ err }, 'embedded broker: dropping log tables a crash left unnamed failed'),
    );
    await this.#startListener();
    this.#logger?.info({ dataDir, durability: this.#options.durability }, 'embedded broker started');
  }

  /** Starts the Kafka listener when configured; if it cannot, the broker does not start either. */
  async #startListener(): Promise<void> {
    if (this.#options.kafkaListener.mode === 'off') return;
    const listener = new KafkaListener(
      brokerAccess({
        dataDir: this.#options.dataDir,
        topics: () => this.#live().topics,
        writer: () => this.#live().writer,
        offsets: () => this.#live().offsets,
        notifier: () => this.#live().notifier,
        coordinators: () => this.#coordinators.values(),
        createTopic: (spec) => this.admin.createTopic(spec),
        deleteTopic: (name) => this.admin.deleteTopic(name),
      }),
      this.#options.kafkaListener,
      this.#logger,
    );
    try {
      await listener.start();
    } catch (err) {
      const running = this.#running!;
      await running.cleaner.stop();
      await running.writer.close();
      await running.topics.settled();
      running.store.close();
      running.lock.release();
      this.#running = null;
      this.#state = 'starting';
      throw err;
    }
    this.#listener = listener;
  }

  kafkaListenerAddress(): { host: string; port: number } | null {
    return this.#listener?.address() ?? null;
  }

  async ping(): Promise<void> {
    if (this.#state !== 'running' || !this.#running!.store.db.isOpen) {
      throw new HeraldError('HERALD_BROKER_UNAVAILABLE', `the embedded broker is ${this.#state}`);
    }
    try {
      this.#running!.store.db.prepare('SELECT 1').get();
    } catch (err) {
      throw new HeraldError('HERALD_BROKER_UNAVAILABLE', 'the embedded log does not answer', { cause: err });
    }
  }

  producer(): Producer {
    const producer = new EmbeddedProducer(
      () => this.#internal().topics,
      () => this.#internal().writer,
      (p) => this.#producers.delete(p),
    );
    if (this.#state === 'stopping' || this.#state === 'stopped') void producer.close();
    else this.#producers.add(producer);
    return producer;
  }

  reader(options?: TailReaderOptions): TailReader {
    const reader = new EmbeddedTailReader(options, {
      topics: () => this.#internal().topics,
      notifier: () => this.#internal().notifier,
      logger: this.#logger,
      onClosed: (r) => this.#readers.delete(r),
    });
    if (this.#state === 'stopping' || this.#state === 'stopped') void reader.close();
    else this.#readers.add(reader);
    return reader;
  }

  consumer(options: ConsumerOptions): GroupConsumer {
    const consumer = new EmbeddedConsumer(resolveEmbeddedConsumerOptions(options), {
      topics: () => this.#internal().topics,
      writer: () => this.#internal().writer,
      offsets: () => this.#internal().offsets,
      notifier: () => this.#internal().notifier,
      coordinator: (group) => this.#coordinator(group),
      transactionalIds: this.#transactionalIds,
      logger: this.#logger,
      groupHeldElsewhere: (group) => this.#listener?.groups.active(group) ?? false,
      onClosed: (c) => this.#consumers.delete(c),
    });
    if (this.#state === 'stopping' || this.#state === 'stopped') void consumer.close();
    else this.#consumers.add(consumer);
    return consumer;
  }

  #coordinator(group: string): GroupCoordinator {
    let coordinator = this.#coordinators.get(group);
    if (coordinator === undefined) {
      coordinator = new GroupCoordinator(
        group,
        () => this.#internal().topics,
        () => this.#internal().writer,
        this.#logger,
      );
      this.#coordinators.set(group, coordinator);
    }
    return coordinator;
  }

  compactNow(topic?: string): Promise<number> {
    try {
      return this.#live().cleaner.compactNow(topic);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  enforceRetentionNow(topic?: string): Promise<number> {
    try {
      return this.#live().cleaner.enforceRetentionNow(topic);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#starting !== null) await this.#starting.catch(() => {});
    if (this.#state !== 'running') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopping';
    const running = this.#running!;
    try {
      await this.#listener?.stop();
      this.#listener = null;
      await Promise.allSettled([...this.#consumers].map((c) => c.close()));
      await Promise.allSettled([...this.#readers].map((r) => r.close()));
      await Promise.allSettled([...this.#producers].map((p) => p.close()));
      await running.cleaner.stop();
      await running.writer.close();
      await running.topics.settled();
    } finally {
      running.store.close();
      running.lock.release();
      this.#coordinators.clear();
      this.#state = 'stopped';
      this.#logger?.info({ dataDir: this.#options.dataDir }, 'embedded broker stopped');
    }
  }
}

/**
 * Builds (does not start) an embedded broker over `spec.dataDir`. `start()` takes the data directory's lock
 * (`HERALD_DATA_DIR_LOCKED`, naming the owner pid, if another process or broker holds it) and opens the log.
 */
export function createEmbeddedBroker(
  spec: EmbeddedBrokerSpec & EmbeddedBrokerOptions,
  logger?: Logger,
): EmbeddedBroker {
  return new EmbeddedBrokerImpl(resolveOptions(spec), logger);
}
