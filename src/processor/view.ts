import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Broker, BrokerRecord } from '../broker/port.ts';
import { partitionForKey } from '../broker/partitioner.ts';
import type { Codec } from '../codec/codec.ts';
import { HeraldError } from '../errors.ts';
import { MemoryStore } from '../state/memory-store.ts';
import { SqliteStore } from '../state/sqlite-store.ts';
import type { KeyValueStore } from '../state/store.ts';
import { type TopicDeclaration, uses } from '../topology/declaration.ts';
import { onCommitted } from './committed-feed.ts';
import { SOURCE_HEADER } from './core.ts';
import { ChangelogFollower } from './follower.ts';
import { adminTail, type LogTail } from './log-tail.ts';
import { processorMetrics } from './metrics.ts';
import type { ProcessorRegistry, ViewStatus } from './registry.ts';
import { onProcessed, uncommittedOwner } from './uncommitted-reads.ts';

export interface ViewOptions<V> {
  broker: Broker;
  /** The table's changelog topic, e.g. `groupTable('balance')`. */
  table: string;
  codec: Codec<V>;
  /** Where the copy lives: in memory (default; restored at every start) or an SQLite file (warm restarts). */
  store?: 'memory' | { sqlite: string };
  logger?: Logger;
  /** Component name. Default `view:<table>`. */
  name?: string;
  /** Overrides how the changelog is read (tests). */
  tail?: LogTail;
  /** Shown by `GET /admin/processors`. */
  registry?: ProcessorRegistry;
  /** Registers the view's lag as `herald_processor_view_lag{table}` (read when scraped). */
  metrics?: { registry: Registry };
  /**
   * What `get` and `waitForSource` see of a partition whose processor runs in this process and owns it.
   * `read_committed` (default): only committed changes, what every reader of the changelog sees.
   * `read_uncommitted`: that processor's table as its next batch reads it — a change once its batch was processed,
   * before its transaction commits (Kafka Streams' interactive queries read so). If that commit then fails, the
   * view shows the committed value until the records are processed again. Partitions owned elsewhere, and
   * `entries`, read the committed copy either way.
   */
  isolation?: 'read_committed' | 'read_uncommitted';
}

/** An input position, for {@link View.waitForSource}. */
export interface SourcePosition {
  topic: string;
  partition: number;
  offset: number;
}

/** How a wait ended: `reached` false after the timeout; `lag` = changelog records not applied yet then. */
export interface WaitOutcome {
  reached: boolean;
  lag: number;
}

interface Waiter {
  done: (reached: boolean) => void;
  test: () => boolean;
}

/**
 * A read-only, continuously updated local copy of every partition of a table (Goka's View): what an HTTP handler
 * queries. `get` and `entries` read the local copy (no broker round trip); `caughtUp()` and `lag()` say how far
 * behind the changelog it is.
 *
 * Read-your-writes: the last changelog record of each batch a processor commits names the batch's input positions
 * (`herald.source` header, see `changelogRecords`), so after emitting an input record at position P,
 * `waitForSource(P)` resolves once the view applied the changes of a batch that reached P. Limits: a batch whose
 * callbacks wrote nothing to the table produces no changelog record — a wait for its records then ends at the
 * next batch that writes, or at its timeout, answering `reached: false` and the lag, and the caller serves the
 * current value; and the partitioning is the default one (views find a key in its murmur2
 * partition, where the processor writes it when producers use the default partitioner, as Herald's emitters do).
 */
export class View<V> {
  readonly name: string;
  readonly table: string;
  readonly #options: ViewOptions<V>;
  readonly #tail: LogTail;
  #store: KeyValueStore | undefined;
  #follower: ChangelogFollower | undefined;
  #partitions = 0;
  readonly #sources = new Map<string, number>();
  #waiters = new Set<Waiter>();
  #unregister: (() => void) | undefined;

  constructor(options: ViewOptions<V>) {
    this.#options = options;
    this.table = options.table;
    this.name = options.name ?? `view:${options.table}`;
    this.#tail = options.tail ?? adminTail(options.broker);
  }

  /** Restores every partition (in parallel), then keeps following. Resolves once restored. */
  async start(): Promise<void> {
    const info = await this.#options.broker.admin.describeTopic(this.table);
    const spec = this.#options.store ?? 'memory';
    this.#store = spec === 'memory' ? new MemoryStore() : new SqliteStore(spec.sqlite, {
      onReset: (reset) => this.#options.logger?.warn({ code: 'HERALD_STATE_CORRUPT', ...reset }, 'view store rebuilt'),
    });
    this.#partitions = info.partitions.length;
    this.#follower = new ChangelogFollower({
      broker: this.#options.broker,
      store: this.#store,
      tail: this.#tail,
      topic: this.table,
      onApplied: (records) => this.#applied(records),
      onError: (err) => this.#options.logger?.warn({ err, table: this.table }, 'view read failed'),
    });
    const follower = this.#follower;
    const unfeed = onCommitted(this.#options.broker, this.table, (partition, records) => follower.applyCommitted(partition, records));
    const unprocessed = this.#uncommitted ? onProcessed(this.#options.broker, this.table, () => this.#retest()) : undefined;
    const unregister = this.#options.registry?.addView(this);
    this.#unregister = () => {
      unfeed();
      unprocessed?.();
      unregister?.();
    };
    await this.#follower.add(info.partitions.map((p) => p.partition));
    if (this.#options.metrics) {
      const gauge = processorMetrics(this.#options.metrics.registry).viewLag;
      const labels = { table: this.table };
      const timer = setInterval(() => gauge.set(labels, this.lag()), 1_000);
      timer.unref();
      const previous = this.#unregister;
      this.#unregister = () => {
        clearInterval(timer);
        previous?.();
      };
    }
  }

  /** The table it reads, for the platform's declared topology (used: its processor creates it). */
  topology(): TopicDeclaration[] {
    return [uses(this.name, 'table', this.table)];
  }

  /** Its table with its values' codec. */
  codecs(): Iterable<[string, Codec<unknown>]> {
    return [[this.table, this.#options.codec]];
  }

  status(): ViewStatus {
    return { table: this.table, caughtUp: this.caughtUp(), lag: this.lag(), partitions: this.positions() };
  }

  async stop(): Promise<void> {
    this.#unregister?.();
    await this.#follower?.stop();
    for (const w of this.#waiters) w.done(false);
    this.#waiters.clear();
    this.#store?.close();
  }

  /** The value of `key`, `undefined` when absent (see {@link ViewOptions.isolation}). */
  get(key: string): V | undefined {
    const store = this.#ready();
    const partition = partitionForKey(Buffer.from(key), this.#partitions);
    const owner = this.#uncommitted ? uncommittedOwner(this.#options.broker, this.table, partition) : undefined;
    const bytes = owner === undefined ? store.get(partition, key) : owner.read(partition, key);
    return bytes === undefined ? undefined : this.#options.codec.decode(bytes);
  }

  /** Every key and value (partition by partition). */
  *entries(): Iterable<[string, V]> {
    const store = this.#ready();
    for (let p = 0; p < this.#partitions; p++) {
      for (const [key, bytes] of store.entries(p)) yield [key, this.#options.codec.decode(bytes)];
    }
  }

  /** Changelog records not applied yet, over all partitions, as of the latest end offsets seen. */
  lag(): number {
    return this.#follower?.lag() ?? 0;
  }

  /** Whether every partition has applied everything up to the end offsets seen. */
  caughtUp(): boolean {
    return this.#follower !== undefined && this.#follower.restored() && this.#follower.lag() === 0;
  }

  /** Per partition: position (next changelog offset) and end seen. */
  positions(): { partition: number; position: number; end: number }[] {
    return this.#follower?.positions() ?? [];
  }

  /** Resolves once the view has applied the changelog of `partition` up to (excluding) `offset`. */
  waitUntil(position: { partition: number; offset: number }, timeoutMs: number): Promise<WaitOutcome> {
    const follower = this.#follower;
    if (follower?.position(position.partition) === undefined) {
      const message = `${this.table} has no partition ${position.partition}`;
      return Promise.reject(new HeraldError('HERALD_PARTITION_OUT_OF_RANGE', message));
    }
    return this.#wait(() => (follower.position(position.partition) ?? 0) >= position.offset, timeoutMs);
  }

  /**
   * Resolves once the view applied the changes of a batch that processed input record `source`, or a later one;
   * reading uncommitted, also once a processor of this process that owns its partition processed it.
   */
  waitForSource(source: SourcePosition, timeoutMs: number): Promise<WaitOutcome> {
    const key = `${source.topic}/${source.partition}`;
    const committed = () => (this.#sources.get(key) ?? -1) >= source.offset;
    if (!this.#uncommitted) return this.#wait(committed, timeoutMs);
    const { broker } = this.#options;
    return this.#wait(
      () => committed() || (uncommittedOwner(broker, this.table, source.partition)?.processed(source.topic, source.partition) ?? -1) > source.offset,
      timeoutMs,
    );
  }

  #wait(test: () => boolean, timeoutMs: number): Promise<WaitOutcome> {
    if (test()) return Promise.resolve({ reached: true, lag: this.lag() });
    return new Promise((resolve) => {
      const waiter: Waiter = {
        test,
        done: (reached) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve({ reached, lag: this.lag() });
        },
      };
      const timer = setTimeout(() => waiter.done(false), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  get #uncommitted(): boolean {
    return this.#options.isolation === 'read_uncommitted';
  }

  #retest(): void {
    if (this.#waiters.size === 0) return;
    for (const w of [...this.#waiters]) if (w.test()) w.done(true);
  }

  #applied(records: readonly BrokerRecord[]): void {
    for (const r of records) {
      const sources = r.headers[SOURCE_HEADER];
      if (sources === undefined) continue;
      for (const source of sources.split(',')) {
        const cut = source.lastIndexOf('/');
        const key = source.slice(0, cut);
        const offset = Number(source.slice(cut + 1));
        if (offset > (this.#sources.get(key) ?? -1)) this.#sources.set(key, offset);
      }
    }
    this.#retest();
  }

  #ready(): KeyValueStore {
    if (this.#store === undefined) throw new HeraldError('HERALD_INVALID_ARGUMENT', `${this.name} is not started`);
    return this.#store;
  }
}
