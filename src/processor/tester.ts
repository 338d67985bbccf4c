import type { BrokerRecord, Headers, OutgoingRecord } from '../broker/port.ts';
import { partitionForKey } from '../broker/partitioner.ts';
import { HeraldError } from '../errors.ts';
import { type RetryPolicy, retryPolicy } from '../runtime/backoff.ts';
import { type DeadLetter, parseDeadLetter } from '../runtime/dlq/envelope.ts';
import { MemoryStore } from '../state/memory-store.ts';
import { type BatchResult, changelogRecords, ProcessorCore } from './core.ts';
import type { Topology } from './topology.ts';

export interface TesterOptions {
  /** Partitions of every topic (keys are spread with Kafka's murmur2, as on a broker). Default 1. */
  partitions?: number;
  /** Retries of a failing callback (no real waiting: the tester's clock jumps). Default the runtime's policy. */
  retry?: Partial<RetryPolicy>;
  /** The clock's start (epoch ms), which records get as timestamp unless given one. Default 0. */
  startTime?: number;
}

export interface SendOptions {
  /** Event time. Default the tester's clock (see `advanceTime`). */
  timestamp?: number;
  headers?: Headers;
  /** Default: the key's partition (murmur2), 0 without a key. */
  partition?: number;
}

/** A record a callback emitted (decoded with its output's codec), or a changelog record (decoded table value). */
export interface TestRecord<T> {
  topic: string;
  key: string | null;
  value: T | null;
  headers: Headers;
  partition: number;
}

/** What processing one sent record did. */
export interface SendResult {
  deadLettered: boolean;
  late: boolean;
  /** Attempts that failed before the record succeeded or was dead-lettered. */
  failedAttempts: number;
}

/**
 * Runs a processor's callbacks in memory, with no broker (Goka's tester, Kafka Streams' TopologyTestDriver), on the
 * same core as a running processor: the same contexts, overlays, retries, dead letters and windows. Each `send`
 * is processed and committed before it resolves, as a batch of one; table values go through their codec both
 * ways, so a codec that cannot read its own output fails here too.
 *
 * ```ts
 * const t = new TopologyTester(balance);
 * await t.send('deposit', 'w1', { walletId: 'w1', amount: 10 });
 * assert.equal(t.table('w1')?.balance, 10);
 * ```
 */
export class TopologyTester<V = unknown, O = Record<string, unknown>, L = Record<string, unknown>> {
  readonly topology: Topology<V, O, L>;
  readonly #partitions: number;
  readonly #store = new MemoryStore();
  readonly #core: ProcessorCore;
  readonly #lookups = new Map<string, Map<string, unknown>>();
  readonly #log = new Map<string, OutgoingRecord[]>();
  readonly #nextOffset = new Map<string, number>();
  #now: number;
  /** Sends run one after the other, like the records of a partition. */
  #queue: Promise<unknown> = Promise.resolve();
  #failedAttempts = 0;
  #lateRecords = 0;

  constructor(topology: Topology<V, O, L>, options: TesterOptions = {}) {
    this.topology = topology;
    this.#partitions = options.partitions ?? 1;
    if (!Number.isSafeInteger(this.#partitions) || this.#partitions < 1)
      throw new HeraldError('HERALD_INVALID_ARGUMENT', `partitions must be a positive integer, not ${this.#partitions}`);
    this.#now = options.startTime ?? 0;
    const policy = retryPolicy(options.retry);
    this.#core = new ProcessorCore({
      topology: topology as Topology<unknown, unknown, unknown>,
      tables: { get: (table, key) => this.#lookups.get(table)?.get(key) },
      readCommitted: (partition, keys) => {
        const list = [...keys];
        const found = this.#store.getMany(partition, list);
        return new Map(list.map((k) => [k, found.get(k)]));
      },
      retry: {
        policy,
        now: () => this.#now,
        // Retries do not wait: the clock jumps, so elapsed-time limits still apply.
        sleep: async (ms) => {
          this.#now += ms;
        },
      },
      onRetry: () => {
        this.#failedAttempts += 1;
      },
    });
  }

  /** The clock records are stamped with by default. Stream time moves only with records, as on a broker. */
  get now(): number {
    return this.#now;
  }

  advanceTime(ms: number): void {
    this.#now += ms;
  }

  /** Encodes `value` with the input's codec and processes it; `null` sends a tombstone. */
  async send<T>(topic: string, key: string | null, value: T | null, options: SendOptions = {}): Promise<SendResult> {
    const input = this.topology.inputs.get(topic);
    if (input === undefined)
      throw new HeraldError('HERALD_INVALID_ARGUMENT', `${topic} is not an input of ${this.topology.group}`);
    return this.sendRaw(topic, key, value === null ? null : input.codec.encode(value), options);
  }

  /** Processes a record of raw bytes (e.g. bytes the input's codec cannot decode). */
  sendRaw(topic: string, key: string | null, value: Buffer | null, options: SendOptions = {}): Promise<SendResult> {
    const run = this.#queue.then(() => this.#process(topic, key, value, options));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #process(topic: string, key: string | null, value: Buffer | null, options: SendOptions): Promise<SendResult> {
    const partition = options.partition ?? (key === null ? 0 : partitionForKey(Buffer.from(key), this.#partitions));
    const tp = `${topic}/${partition}`;
    const offset = this.#nextOffset.get(tp) ?? 0;
    this.#nextOffset.set(tp, offset + 1);
    const record: BrokerRecord = {
      topic,
      partition,
      offset,
      key: key === null ? null : Buffer.from(key),
      value,
      headers: options.headers ?? {},
      timestamp: options.timestamp ?? this.#now,
    };
    const failedBefore = this.#failedAttempts;
    const result = await this.#core.run(partition, [record]);
    this.#commit(result);
    this.#lateRecords += result.late;
    return {
      deadLettered: result.deadLettered > 0,
      late: result.late > 0,
      failedAttempts: this.#failedAttempts - failedBefore + result.deadLettered,
    };
  }

  /** This group's table value of `key`, decoded from what was committed. */
  table(key: string): V | undefined {
    const codec = this.#tableCodec();
    const bytes = this.#store.get(this.#partitionOf(key), key);
    return bytes === undefined ? undefined : codec.decode(bytes);
  }

  /** Every key of the group table with its value. */
  tableEntries(): Map<string, V> {
    const codec = this.#tableCodec();
    const out = new Map<string, V>();
    for (let p = 0; p < this.#partitions; p++) {
      for (const [key, bytes] of this.#store.entries(p)) out.set(key, codec.decode(bytes));
    }
    return out;
  }

  /** Sets a value in a table the processor looks up or joins (the tester's stand-in for that table's view). */
  setTable<K extends keyof L & string>(table: K, key: string, value: L[K] | undefined): void {
    if (!this.topology.tables.has(table))
      throw new HeraldError('HERALD_INVALID_ARGUMENT', `${table} is not a table of ${this.topology.group}`);
    let values = this.#lookups.get(table);
    if (values === undefined) this.#lookups.set(table, (values = new Map()));
    if (value === undefined) values.delete(key);
    else values.set(key, value);
  }

  /** Records emitted to `topic` so far, decoded with the output's codec. */
  emitted<K extends keyof O & string>(topic: K): TestRecord<O[K]>[] {
    const codec = this.topology.outputs.get(topic);
    if (codec === undefined)
      throw new HeraldError('HERALD_INVALID_ARGUMENT', `${topic} is not an output of ${this.topology.group}`);
    return (this.#log.get(topic) ?? []).map((r) => testRecord(r, (b) => codec.decode(b) as O[K]));
  }

  /** The changelog records written so far (the last of each batch with its `herald.source` header), values decoded. */
  changelog(): TestRecord<V>[] {
    const codec = this.#tableCodec();
    return (this.#log.get(this.topology.tableTopic) ?? []).map((r) => testRecord(r, (b) => codec.decode(b)));
  }

  /** Dead letters written so far (of every input, or of `input`). */
  deadLetters(input?: string): DeadLetter[] {
    const out: DeadLetter[] = [];
    for (const [topic, records] of this.#log) {
      if (!topic.endsWith('.dlq')) continue;
      records.forEach((r, i) => {
        const dl = parseDeadLetter({ ...r, key: r.key ?? null, headers: r.headers ?? {}, partition: 0, offset: i, timestamp: this.#now });
        if (dl !== undefined && (input === undefined || dl.origin.topic === input)) out.push(dl);
      });
    }
    return out;
  }

  /** Records dropped as too late for their windows so far. */
  get lateRecords(): number {
    return this.#lateRecords;
  }

  /** Forgets emitted records and dead letters (the table stays). */
  clearEmitted(): void {
    for (const topic of [...this.#log.keys()]) if (topic !== this.topology.tableTopic) this.#log.delete(topic);
  }

  #commit(result: BatchResult): void {
    const changelog = changelogRecords(this.topology.tableTopic, result);
    for (const record of [...changelog, ...result.emitted]) {
      let log = this.#log.get(record.topic);
      if (log === undefined) this.#log.set(record.topic, (log = []));
      log.push(record);
    }
    const checkpoint = (this.#store.checkpoint(result.partition) ?? 0) + changelog.length;
    this.#store.apply({
      changes: [...result.changes.values()].map((c) => ({ partition: result.partition, key: c.key, value: c.bytes })),
      checkpoints: new Map([[result.partition, checkpoint]]),
    });
  }

  #partitionOf(key: string): number {
    return partitionForKey(Buffer.from(key), this.#partitions);
  }

  #tableCodec() {
    const codec = this.topology.table;
    if (codec === undefined) throw new HeraldError('HERALD_INVALID_ARGUMENT', `${this.topology.group} has no table`);
    return codec;
  }
}

function testRecord<T>(r: OutgoingRecord, decode: (bytes: Buffer) => T): TestRecord<T> {
  return {
    topic: r.topic,
    key: r.key === null || r.key === undefined ? null : r.key.toString('utf8'),
    value: r.value === null ? null : decode(r.value),
    headers: r.headers ?? {},
    partition: r.partition ?? 0,
  };
}
