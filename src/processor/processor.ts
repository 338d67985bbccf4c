import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { BrokerRecord, ConsumerOptions, GroupConsumer, Producer, TopicPartition } from '../broker/port.ts';
import { HeraldError, isHeraldError } from '../errors.ts';
import type { TopicDeclaration } from '../topology/declaration.ts';
import { provisionTopology } from '../topology/provision.ts';
import { SqliteStore } from '../state/sqlite-store.ts';
import { StoreWriter } from '../state/store-writer.ts';
import type { KeyValueStore } from '../state/store.ts';
import { recentUtilization } from '../kit/event-loop-load.ts';
import { BatchCommits } from './batch-commits.ts';
import { batchCommitter } from './commit.ts';
import { CommittedTable } from './committed-table.ts';
import type { BatchResult, ProcessorCore } from './core.ts';
import { instanceId } from './instance-id.ts';
import { adminTail, type LogTail } from './log-tail.ts';
import { type ProcessorMetrics, processorMetrics } from './metrics.ts';
import { openLocalStore, processorCore } from './parts.ts';
import { PartitionPipeline } from './pipeline.ts';
import { type ProcessorOptions, type ResolvedProcessorOptions, resolveProcessorOptions } from './options.ts';
import type { Codec } from '../codec/codec.ts';
import type { ProcessorStatus } from './registry.ts';
import { restoreReported, type RestoreState } from './restore.ts';
import { HotStandby } from './standby.ts';
import { checkTopics, processorTopics } from './topics.ts';
import { type Topology, topologyCodecs } from './topology.ts';
import { saturatedWaitMs } from './saturated-wait.ts';
import { announceProcessed, offerUncommitted, type UncommittedSource } from './uncommitted-reads.ts';
import { View } from './view.ts';
import { inputLag } from './waits.ts';

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
 *    or sent then committed (`at-least-once`, see {@link ProcessorOptions.guarantee}); the next batches are
 *    processed meanwhile, on top of it (`PartitionPipeline`, up to `inFlightBatches`);
 * 3. only then is the local store updated, with p's new checkpoint — so the store is always an exact prefix of the
 *    changelog, and a crash anywhere leaves nothing counted twice.
 *
 * A commit that fails discards its batch and the ones after it, and processes them again from the last committed
 * one; one refused because the partition moved (`HERALD_NOT_ASSIGNED`, fenced) drops it (`BatchCommits`). A
 * lifecycle component.
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
  #commits: BatchCommits | undefined;
  /** Batches in flight per partition (see `PartitionPipeline`). */
  readonly #pipelines = new Map<number, PartitionPipeline>();
  #partitions = 0;
  readonly #views = new Map<string, View<unknown>>();
  readonly #owned = new Set<number>();
  readonly #restored = new Set<number>();
  readonly #restores = new Map<number, RestoreState>();
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
      this.#store = openLocalStore(definition, this.#resolved, dataDir, this.#logger);
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
      const table = this.#table;
      const parts = {
        tables: { get: (name: string, key: string) => this.#views.get(name)?.get(key) },
        readCommitted: (partition: number, keys: Iterable<string>) =>
          this.#pipeline(partition).read(keys, (misses) => table.readMany(partition, misses)),
        abortSignal: (partition: number) => this.#aborts.get(partition)?.signal,
      };
      this.#core = processorCore(definition, this.#resolved, parts, this.#logger);
      if (this.#options.hotStandby && this.definition.table !== undefined) {
        const follows = { broker, store: this.#store, tail: this.#tail, topic: this.definition.tableTopic };
        this.#standby = new HotStandby(follows, this.#logger);
        for (let p = 0; p < this.#partitions; p++) this.#standby.start(p); // nothing owned yet
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
      if (this.#options.commitIntervalMs !== undefined) consumerOptions.transactionIntervalMs = this.#options.commitIntervalMs;
      const consumer = broker.consumer(consumerOptions);
      this.#consumer = consumer;
      this.#commits = new BatchCommits({
        group,
        tableTopic: this.definition.table === undefined ? undefined : this.definition.tableTopic,
        broker,
        logger: this.#logger,
        metrics: this.#metrics,
        commit: batchCommitter(this.#resolved.guarantee, consumer, () => (this.#producer ??= broker.producer())),
        table,
        core: this.#core,
        consumer,
        drop: (partition) => {
          this.#owned.delete(partition);
          this.#restored.delete(partition);
          this.#aborts.get(partition)?.abort();
          table.forget(partition);
        },
        restoreLater: (partition) => {
          this.#restored.delete(partition);
          table.forget(partition);
        },
      });
      const unregister = this.#options.registry?.addProcessor(this);
      const withdraw =
        this.definition.table === undefined ? undefined : offerUncommitted(broker, this.definition.tableTopic, this.#uncommitted(table));
      this.#unregister = () => {
        unregister?.();
        withdraw?.();
      };
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
    // Batches in flight finish their commits while the consumer still owns their partitions.
    await Promise.all([...this.#pipelines.values()].map((pipeline) => pipeline.drained()));
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

  /** Its owned partitions' table as the next batch reads it, for the views of this process (`uncommitted-reads.ts`). */
  #uncommitted(table: CommittedTable): UncommittedSource {
    return {
      owns: (partition) => this.#state !== 'stopped' && this.#owned.has(partition) && this.#restored.has(partition),
      read: (partition, key) => this.#pipeline(partition).read([key], (misses) => table.readMany(partition, misses)).get(key),
      processed: (topic, partition) => (this.#owned.has(partition) ? this.#pipelines.get(partition)?.processed(topic) : undefined),
    };
  }

  async #assigned(tps: TopicPartition[]): Promise<void> {
    const partitions = [...new Set(tps.map((tp) => tp.partition))];
    await Promise.all(
      partitions.map((p) => {
        const pipeline = this.#pipeline(p);
        return pipeline.serial(async () => {
          // Positions and batches from an earlier ownership of the partition are stale.
          await pipeline.drained();
          pipeline.reset();
          this.#owned.add(p);
          this.#aborts.set(p, new AbortController());
          await this.#standby?.stop(p);
          await this.#restore(p).catch((err: unknown) =>
            this.#logger.warn({ err, partition: p }, 'restore failed; retried before the first record'),
          );
        });
      }),
    );
  }

  async #revoked(tps: TopicPartition[]): Promise<void> {
    const partitions = [...new Set(tps.map((tp) => tp.partition))];
    for (const p of partitions) this.#aborts.get(p)?.abort();
    await Promise.all(
      partitions.map((p) => {
        const pipeline = this.#pipeline(p);
        return pipeline.serial(async () => {
          await pipeline.drained();
          pipeline.reset();
          this.#owned.delete(p);
          this.#restored.delete(p);
          await this.#table?.flush();
          this.#table?.forget(p);
          this.#core?.forget(p);
          if (this.#state === 'running') this.#standby?.start(p);
        });
      }),
    );
  }

  async #restore(partition: number): Promise<void> {
    if (this.definition.table === undefined) {
      this.#restored.add(partition);
      return;
    }
    await this.#table?.flush();
    const restored = await restoreReported({
      store: this.#store as KeyValueStore,
      tail: this.#tail,
      topic: this.definition.tableTopic,
      partition,
      signal: this.#aborts.get(partition)?.signal,
      group: this.definition.group,
      metrics: this.#metrics,
      logger: this.#logger,
      onState: (state) => this.#restores.set(partition, state),
    });
    this.#table?.forget(partition);
    if (restored) this.#restored.add(partition);
  }

  #onRecords(records: BrokerRecord[]): Promise<void> {
    const partition = records[0].partition;
    const pipeline = this.#pipeline(partition);
    pipeline.handedOver(records[0]);
    const generation = pipeline.generation;
    return pipeline.serial(() => this.#process(records, generation));
  }

  #pipeline(partition: number): PartitionPipeline {
    return this.#pipelines.get(partition) ?? this.#pipelines.set(partition, new PartitionPipeline()).get(partition)!;
  }

  /**
   * Processes a batch on top of the batches in flight (and held) and asks for its commit, or holds it for a commit
   * with the batches after it when no room is left in flight; resolves once the partition's next batch may be
   * processed (see the comments below for when that waits).
   */
  async #process(records: BrokerRecord[], generation: number): Promise<void> {
    const { partition } = records[0];
    const pipeline = this.#pipeline(partition);
    // Handed over before a seek back (these records come again), or not to be processed here.
    if (!this.#owned.has(partition) || this.#state === 'stopped' || pipeline.generation !== generation) return;
    const core = this.#core as ProcessorCore;
    const streamTime = pipeline.starting(core.streamTime(partition));
    const chain = pipeline.chain;
    let result: BatchResult;
    try {
      if (!this.#restored.has(partition)) {
        await pipeline.drained();
        if (pipeline.generation !== generation) return;
        await this.#restore(partition);
      }
      if (!this.#restored.has(partition)) return;
      result = await core.run(partition, records);
    } catch (err) {
      if (!isHeraldError(err, 'HERALD_SHUTTING_DOWN')) this.#logger.warn({ err, partition }, 'batch failed; again');
      (this.#commits as BatchCommits).seekBack(pipeline, 'submitted', partition, streamTime);
      return;
    }
    const streamAfter = core.streamTime(partition);
    // A seek back while it ran (an earlier batch's commit failed): it read changes that will not be committed.
    if (pipeline.generation !== generation || (this.#state as string) === 'stopped') return;
    // A full batch, or the rest of a fetch after one, means a backlog: a batch's commit is asked for at once and
    // processing waits for room in flight — one commit at a time for a full batch (ahead, bench/processor.ts lost 15%
    // on Kafka). Otherwise a batch that finds no room is held, processed ahead of its commit (`PartitionPipeline.hold`).
    const full = records.length >= this.#resolved.maxBatchSize;
    const backlog = full || pipeline.lastFull;
    pipeline.lastFull = full;
    const limit = full ? 1 : this.#resolved.inFlightBatches;
    const commits = this.#commits as BatchCommits;
    if (pipeline.heldRecords === 0 && (backlog || pipeline.size < limit)) commits.submit(pipeline, result, streamAfter, chain);
    else pipeline.hold(result, streamAfter);
    // Its changes are what the partition's next batch and uncommitted readers see from here on.
    if (this.definition.table !== undefined) announceProcessed(this.#options.broker, this.definition.tableTopic);
    if (backlog) await pipeline.room(limit);
    // Held batches are committed as one; past a full batch of them, processing waits for their commit to start.
    else if (pipeline.heldRecords >= this.#resolved.maxBatchSize) await pipeline.heldTaken();
    else {
      const wait = saturatedWaitMs(recentUtilization());
      if (wait > 0) await Promise.race([pipeline.room(limit), sleep(wait)]);
    }
  }

  async #measureLag(): Promise<void> {
    const group = this.definition.group;
    const lag = await inputLag(this.#options.broker.admin, group, this.definition.inputs, this.#owned).catch((err: unknown) => {
      this.#logger.debug({ err }, 'lag measurement failed');
    });
    if (lag === undefined) return;
    this.#lag.clear();
    for (const [partition, n] of lag) {
      this.#lag.set(partition, n);
      this.#metrics?.lag.set({ group, partition: String(partition) }, n);
    }
  }
}
