import path from 'node:path';
import type { Logger } from 'pino';
import type {
  BrokerRecord,
  ConsumerOptions,
  GroupConsumer,
  OutgoingRecord,
  Producer,
  RecordPosition,
  TopicPartition,
} from '../broker/port.ts';
import { HeraldError, isHeraldError } from '../errors.ts';
import type { TopicDeclaration } from '../topology/declaration.ts';
import { provisionTopology } from '../topology/provision.ts';
import { MemoryStore } from '../state/memory-store.ts';
import { SqliteStore } from '../state/sqlite-store.ts';
import { StoreWriter } from '../state/store-writer.ts';
import type { KeyValueStore } from '../state/store.ts';
import { batchCommitter } from './commit.ts';
import { CommittedTable } from './committed-table.ts';
import type { TableReader } from './context.ts';
import { type BatchResult, changelogRecords, ProcessorCore } from './core.ts';
import { instanceId } from './instance-id.ts';
import { adminTail, type LogTail } from './log-tail.ts';
import { type ProcessorMetrics, processorMetrics } from './metrics.ts';
import { type ProcessorOptions, type ResolvedProcessorOptions, resolveProcessorOptions } from './options.ts';
import type { Codec } from '../codec/codec.ts';
import type { ProcessorStatus } from './registry.ts';
import { restorePartition, type RestoreState } from './restore.ts';
import { HotStandby } from './standby.ts';
import { checkTopics, processorTopics } from './topics.ts';
import { type Topology, topologyCodecs } from './topology.ts';
import { View } from './view.ts';
import { inputLag, sleepUnlessAborted } from './waits.ts';

/** Wait before processing a batch again after its commit failed for a reason that may pass (broker unavailable). */
const COMMIT_RETRY_MS = 200;
/** How often the input lag of owned partitions is measured (metrics, status). */
const LAG_EVERY_MS = 5_000;

/**
 * Runs a {@link Topology} on a broker: a member of the consumer group `topology.group` that owns partition p of
 * every input together (co-partitioned), keeps p's table in a local store restored from the compacted changelog
 * `<group>-table` before p's first record, and processes p's records in offset order, batch by batch:
 *
 * 1. each record's callback runs against an overlay (see `ProcessorCore`); failures retry, then dead-letter;
 * 2. the batch's changelog records (last value per changed key, the last naming the batch's input positions in
 *    `herald.source`), emitted records, dead letters and input offsets are committed as ONE unit (`exactly-once`),
 *    or sent then committed (`at-least-once`, see {@link ProcessorOptions.guarantee});
 * 3. only then is the local store updated, with p's new checkpoint, in one SQLite transaction — so the store is
 *    always an exact prefix of the changelog, and a crash anywhere leaves nothing counted twice.
 *
 * A commit that fails discards the batch and processes it again from the committed offset; one refused because
 * the partition moved (`HERALD_NOT_ASSIGNED`, fenced) drops it. A lifecycle component (`start`/`stop`).
 */
export class Processor<V = unknown, O = Record<string, unknown>, L = Record<string, unknown>> {
  readonly name: string;
  /** What it runs: its group, inputs, table, outputs and the tables it reads. */
  readonly definition: Topology<V, O, L>;
  readonly #options: ProcessorOptions;
  readonly #resolved: ResolvedProcessorOptions;
  readonly #logger: Logger;
  readonly #tail: LogTail;
  readonly #metrics: ProcessorMetrics | undefined;
  #state: ProcessorStatus['state'] = 'new';
  #store: KeyValueStore | undefined;
  #table: CommittedTable | undefined;
  #writer: StoreWriter | undefined;
  #core: ProcessorCore | undefined;
  #consumer: GroupConsumer | undefined;
  #producer: Producer | undefined;
  #commit: ((records: OutgoingRecord[], positions: RecordPosition[]) => Promise<RecordPosition[]>) | undefined;
  #partitions = 0;
  readonly #views = new Map<string, View<unknown>>();
  readonly #owned = new Set<number>();
  readonly #restored = new Set<number>();
  readonly #restores = new Map<number, RestoreState>();
  readonly #chains = new Map<number, Promise<void>>();
  readonly #aborts = new Map<number, AbortController>();
  #standby: HotStandby | undefined;
  #unregister: (() => void) | undefined;
  /** Input lag per owned partition, last measured. */
  readonly #lag = new Map<number, number>();
  #lagTimer: NodeJS.Timeout | undefined;

  constructor(topology: Topology<V, O, L>, options: ProcessorOptions) {
    this.definition = topology;
    this.#options = options;
    this.#resolved = resolveProcessorOptions(options);
    this.name = options.name ?? `processor:${topology.group}`;
    this.#logger = options.logger.child({ component: this.name, group: topology.group });
    this.#tail = options.tail ?? adminTail(options.broker);
    this.#metrics = options.metrics ? processorMetrics(options.metrics.registry) : undefined;
  }

  /**
   * Checks the topology against the broker (`HERALD_TOPOLOGY_INVALID`), provisions its declared topics (the
   * changelog and dead-letter topics, unless boot did), opens the local store, starts the views of looked-up
   * tables and waits until they caught up, then joins the group. Resolves once joined; owned partitions restore
   * before their first record.
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new HeraldError('HERALD_INVALID_ARGUMENT', `${this.name} was started already`);
    this.#state = 'starting';
    const { broker, dataDir } = this.#options;
    const group = this.definition.group;
    try {
      const definition = this.definition as Topology<unknown, unknown, unknown>;
      this.#partitions = await checkTopics(broker, definition);
      // Under boot every declaration was provisioned already and this creates nothing; a processor started on its
      // own creates its changelog and dead-letter topics here, through the same one function.
      await provisionTopology(broker.admin, this.topology(), { lookUpUsed: false });
      this.#store = this.#openStore();
      if (this.#store instanceof SqliteStore) this.#writer = new StoreWriter(this.#store.path, this.#logger);
      this.#table = new CommittedTable(this.#store, this.#resolved.cacheBytes, this.#writer, (err) => {
        this.#logger.error({ err }, 'local store write failed; restoring every owned partition from the changelog');
        this.#restored.clear();
      });
      for (const [name, ref] of this.definition.tables) {
        const view = new View({ broker, table: ref.topic, codec: ref.codec, logger: this.#logger });
        await view.start();
        this.#views.set(name, view);
      }
      this.#core = this.#makeCore();
      if (this.#options.hotStandby && this.definition.table !== undefined) {
        const follows = { broker, store: this.#store, tail: this.#tail, topic: this.definition.tableTopic };
        this.#standby = new HotStandby(follows, this.#logger);
        for (let p = 0; p < this.#partitions; p++) this.#startStandby(p);
      }
      const consumerOptions: ConsumerOptions = {
        group,
        topics: [...this.definition.inputs.keys()],
        maxBatchSize: this.#resolved.maxBatchSize,
        clientId: this.name,
        assignment: 'co-partitioned',
        isolation: 'read_committed',
        transactionalId: `${group}-${this.#options.instanceId ?? instanceId(group, dataDir)}`,
      };
      if (this.#options.sessionTimeoutMs !== undefined) consumerOptions.sessionTimeoutMs = this.#options.sessionTimeoutMs;
      const consumer = broker.consumer(consumerOptions);
      this.#consumer = consumer;
      this.#commit = batchCommitter(this.#resolved.guarantee, consumer, () => (this.#producer ??= broker.producer()));
      this.#unregister = this.#options.registry?.addProcessor(this);
      await consumer.start({
        onAssigned: (tps) => this.#assigned(tps),
        onRecords: (records) => this.#onRecords(records),
        onRevoked: (tps) => this.#revoked(tps),
      });
      this.#state = 'running';
      this.#lagTimer = setInterval(() => void this.#measureLag(), LAG_EVERY_MS);
      this.#lagTimer.unref();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Leaves the group (in-flight batches finish and commit), stops views and standby, closes the store. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    clearInterval(this.#lagTimer);
    for (const abort of this.#aborts.values()) abort.abort();
    await this.#consumer?.close().catch((err: unknown) => this.#logger.warn({ err }, 'consumer close failed'));
    await this.#standby?.close();
    await Promise.all([...this.#views.values()].map((v) => v.stop()));
    await this.#producer?.close();
    this.#unregister?.();
    await this.#table?.flush();
    await this.#writer?.close();
    this.#store?.close();
  }

  /** The topics it reads and writes (see `processorTopics`), for the platform's declared topology. */
  topology(): TopicDeclaration[] {
    return processorTopics(this.definition as Topology<unknown, unknown, unknown>);
  }

  /** The table value of `key` as committed on this instance (owned or standby partitions only). */
  get(key: string, partition: number): V | undefined {
    const bytes = this.#table?.readMany(partition, [key]).get(key);
    return bytes === undefined || this.definition.table === undefined ? undefined : this.definition.table.decode(bytes);
  }

  /** Its inputs, outputs, table and the tables it reads, each with its values' codec. */
  codecs(): Iterable<[string, Codec<unknown>]> {
    return topologyCodecs(this.definition as Topology<unknown, unknown, unknown>);
  }

  status(): ProcessorStatus {
    const store = this.#store;
    return {
      group: this.definition.group,
      guarantee: this.#resolved.guarantee,
      state: this.#state,
      partitions: [...this.#owned].sort((a, b) => a - b).map((partition) => ({
        partition,
        tableKeys: store !== undefined && this.#state !== 'stopped' ? store.size(partition) : 0,
        lag: this.#lag.get(partition),
        restore: this.#restores.get(partition),
      })),
      standby: this.#standby?.partitions() ?? [],
    };
  }

  #openStore(): KeyValueStore {
    const { dataDir } = this.#options;
    if (this.#resolved.store === 'memory' || dataDir === undefined || this.definition.table === undefined)
      return new MemoryStore();
    const file = path.join(dataDir, 'state', `${encodeURIComponent(this.definition.group)}.db`);
    return new SqliteStore(file, {
      onReset: (reset) =>
        this.#logger.warn({ code: 'HERALD_STATE_CORRUPT', ...reset }, 'local store distrusted; rebuilding from the changelog'),
    });
  }

  #makeCore(): ProcessorCore {
    const tables: TableReader = { get: (table, key) => this.#views.get(table)?.get(key) };
    const table = this.#table as CommittedTable;
    return new ProcessorCore({
      topology: this.definition as Topology<unknown, unknown, unknown>,
      tables,
      readCommitted: (partition, keys) => table.readMany(partition, keys),
      retry: {
        policy: this.#resolved.retry,
        now: Date.now,
        sleep: (ms, partition) =>
          sleepUnlessAborted(ms, this.#aborts.get(partition)?.signal, `partition ${partition} is being revoked`),
      },
      onRetry: (record, err, attempt, delayMs) =>
        this.#logger.warn(
          { err, topic: record.topic, partition: record.partition, offset: record.offset, attempt, retryInMs: delayMs },
          'callback failed; will retry',
        ),
      onDeadLetter: (record, err, attempts) =>
        this.#logger.error(
          { err, topic: record.topic, partition: record.partition, offset: record.offset, attempts },
          'callback failed; dead-lettered',
        ),
    });
  }

  /** Runs `work` after whatever runs for the partition (records of several inputs share a partition's table). */
  #serial(partition: number, work: () => Promise<void>): Promise<void> {
    const run = (this.#chains.get(partition) ?? Promise.resolve()).then(work);
    const settled = run.catch(() => {});
    this.#chains.set(partition, settled);
    return run;
  }

  async #assigned(tps: TopicPartition[]): Promise<void> {
    const partitions = [...new Set(tps.map((tp) => tp.partition))];
    await Promise.all(
      partitions.map((p) =>
        this.#serial(p, async () => {
          this.#owned.add(p);
          this.#aborts.set(p, new AbortController());
          await this.#standby?.stop(p);
          await this.#restore(p).catch((err: unknown) =>
            this.#logger.warn({ err, partition: p }, 'restore failed; retried before the first record'),
          );
        }),
      ),
    );
  }

  async #revoked(tps: TopicPartition[]): Promise<void> {
    const partitions = [...new Set(tps.map((tp) => tp.partition))];
    for (const p of partitions) this.#aborts.get(p)?.abort();
    await Promise.all(
      partitions.map((p) =>
        this.#serial(p, async () => {
          this.#owned.delete(p);
          this.#restored.delete(p);
          await this.#table?.flush();
          this.#table?.forget(p);
          this.#core?.forget(p);
          if (this.#state === 'running') this.#startStandby(p);
        }),
      ),
    );
  }

  async #restore(partition: number): Promise<void> {
    if (this.definition.table === undefined) {
      this.#restored.add(partition);
      return;
    }
    const group = this.definition.group;
    const labels = { group, partition: String(partition) };
    await this.#table?.flush();
    const state = await restorePartition({
      store: this.#store as KeyValueStore,
      tail: this.#tail,
      topic: this.definition.tableTopic,
      partition,
      signal: this.#aborts.get(partition)?.signal,
      onProgress: (s) => {
        this.#restores.set(partition, { ...s });
        this.#metrics?.restoreRemaining.set(labels, Math.max(0, s.end - s.position));
      },
      onRecords: (records) => this.#metrics?.restoreRecords.inc(labels, records.length),
    });
    this.#table?.forget(partition);
    if (state.finishedAt === undefined) return; // revoked meanwhile
    this.#restored.add(partition);
    const seconds = (state.finishedAt - state.startedAt) / 1_000;
    this.#metrics?.restoreSeconds.set(labels, seconds);
    this.#logger.info(
      { partition, mode: state.mode, reason: state.reason, records: state.records, seconds },
      'partition restored',
    );
  }

  #startStandby(partition: number): void {
    if (!this.#owned.has(partition)) this.#standby?.start(partition);
  }

  #onRecords(records: BrokerRecord[]): Promise<void> {
    const partition = records[0].partition;
    return this.#serial(partition, () => this.#process(records));
  }

  async #process(records: BrokerRecord[]): Promise<void> {
    const { topic, partition, offset } = records[0];
    if (!this.#owned.has(partition) || this.#state === 'stopped') return;
    const consumer = this.#consumer as GroupConsumer;
    const rewind = () => {
      try {
        consumer.seek({ topic, partition, offset });
      } catch (err) {
        this.#logger.debug({ err, partition }, 'seek back refused (the partition is going away)');
      }
    };
    let result: BatchResult;
    try {
      if (!this.#restored.has(partition)) await this.#restore(partition);
      if (!this.#restored.has(partition)) return;
      result = await (this.#core as ProcessorCore).run(partition, records);
    } catch (err) {
      if (!isHeraldError(err, 'HERALD_SHUTTING_DOWN')) this.#logger.warn({ err, partition }, 'batch failed; again');
      rewind();
      return;
    }
    const changelog = this.definition.table === undefined ? [] : changelogRecords(this.definition.tableTopic, result);
    let written: RecordPosition[];
    try {
      const commit = this.#commit as (records: OutgoingRecord[], positions: RecordPosition[]) => Promise<RecordPosition[]>;
      written = await commit([...changelog, ...result.emitted], result.positions);
    } catch (err) {
      this.#metrics?.commitFailures.inc({ group: this.definition.group });
      if (isHeraldError(err, 'HERALD_NOT_ASSIGNED') || isHeraldError(err, 'HERALD_FENCED')) {
        // The partition belongs to another member (or instance) now: process none of its records until it is
        // assigned here again, or a later batch would commit past this one.
        this.#logger.warn({ err, partition }, 'commit refused: the partition moved; dropping it');
        this.#owned.delete(partition);
        this.#restored.delete(partition);
        this.#aborts.get(partition)?.abort();
        this.#table?.forget(partition);
        return;
      }
      this.#logger.warn({ err, partition }, 'commit failed; processing the batch again');
      rewind();
      await new Promise((resolve) => setTimeout(resolve, COMMIT_RETRY_MS));
      return;
    }
    this.#applyCommitted(result, changelog.length === 0 ? undefined : written[changelog.length - 1].offset + 1);
  }

  async #measureLag(): Promise<void> {
    try {
      const lag = await inputLag(this.#options.broker.admin, this.definition.group, this.definition.inputs, this.#owned);
      this.#lag.clear();
      for (const [partition, n] of lag) {
        this.#lag.set(partition, n);
        this.#metrics?.lag.set({ group: this.definition.group, partition: String(partition) }, n);
      }
    } catch (err) {
      this.#logger.debug({ err }, 'lag measurement failed');
    }
  }

  #applyCommitted(result: BatchResult, checkpoint: number | undefined): void {
    const { partition } = result;
    try {
      (this.#table as CommittedTable).apply(partition, result.changes.values(), checkpoint);
    } catch (err) {
      // The commit stands; the local copy is behind it. Restore before the next record (it replays the changelog).
      this.#logger.error({ err, partition }, 'local store write failed after commit; restoring the partition');
      this.#restored.delete(partition);
      this.#table?.forget(partition);
    }
    const group = this.definition.group;
    this.#metrics?.records.inc({ group }, result.processed);
    if (result.changes.size > 0) this.#metrics?.tableWrites.inc({ group }, result.changes.size);
    if (result.deadLettered > 0) this.#metrics?.deadLettered.inc({ group }, result.deadLettered);
    if (result.late > 0) this.#metrics?.late.inc({ group }, result.late);
  }
}
