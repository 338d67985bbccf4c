import { HeraldError } from '../../errors.ts';
import type { PartitionInfo, TopicInfo, TopicSpec } from '../port.ts';
import { PartitionLog, type TopicState } from './partition-log.ts';
import type { Store } from './store.ts';

/** How long one slice of a topic's table creation or removal may hold the event loop. */
const DDL_SLICE_MS = 10;

function configNumber(configs: Record<string, string>, name: string): number | null {
  const raw = configs[name];
  if (raw === undefined) return null;
  const value = Number(raw);
  // Kafka uses -1 for "unlimited".
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** Topics and their partition logs, loaded from the store at start and kept in step with it. */
export class TopicRegistry {
  readonly #store: Store;
  readonly #byName = new Map<string, TopicState>();
  readonly #logs = new Map<number, PartitionLog>();
  /** The schema change running (creations and deletions run one at a time). */
  #ddl: Promise<unknown> = Promise.resolve();
  /**
   * Batches found at start without their bytes in the bulk files, and deleted: written after the last sync
   * before an OS crash (see `BulkStore`).
   */
  readonly lostBatches: number;

  constructor(store: Store) {
    this.#store = store;
    const logsByTopic = new Map<number, { id: number; part: number; next: number; bytes: number; start: number }[]>();
    for (const row of store.loadLogs()) {
      let list = logsByTopic.get(row.topic_id);
      if (list === undefined) {
        list = [];
        logsByTopic.set(row.topic_id, list);
      }
      list.push({ id: row.id, part: row.part, next: row.next_offset, bytes: row.bytes, start: row.start_offset });
    }
    for (const row of store.loadTopics()) {
      const topic = this.#topicState(
        row.id,
        row.name,
        row.compacted === 1,
        row.retention_ms,
        row.retention_bytes,
        JSON.parse(row.configs),
      );
      for (const log of logsByTopic.get(row.id) ?? []) {
        const partitionLog = new PartitionLog(store.db, log.id, topic, log.part, log.next, log.bytes, log.start, store.bulk.has(log.id) ? store.bulk : undefined);
        topic.logs[log.part] = partitionLog;
        this.#logs.set(log.id, partitionLog);
      }
      this.#byName.set(topic.name, topic);
    }
    this.lostBatches = this.#reconcileBulk();
  }

  /** Deletes rows without their bulk bytes and bulk bytes without a row (see `BatchTable.reconcileBulk`). */
  #reconcileBulk(): number {
    const lostFile = this.#store.bulkLost;
    const logs = [...this.#logs.values()].filter((log) => log.bulk || lostFile);
    if (logs.length === 0) return 0;
    return this.#store.transaction(() => {
      let lost = 0;
      for (const log of logs) {
        const [removed, freed] = log.reconcileBulk(this.#store.bulk, lostFile);
        if (removed === 0) continue;
        lost += removed;
        log.bytes -= freed;
        this.#store.updateLog(log.id, log.end, log.bytes, log.logStart());
      }
      return lost;
    });
  }

  #topicState(
    id: number,
    name: string,
    compacted: boolean,
    retentionMs: number | null,
    retentionBytes: number | null,
    configs: Record<string, string>,
  ): TopicState {
    return {
      id,
      name,
      compacted,
      retentionMs,
      retentionBytes,
      deleteRetentionMs: configNumber(configs, 'delete.retention.ms'),
      segmentBytes: configNumber(configs, 'segment.bytes') || null,
      configs,
      logs: [],
      spread: 0,
      deleted: false,
    };
  }

  get(name: string): TopicState | undefined {
    return this.#byName.get(name);
  }

  /** The topic or `HERALD_TOPIC_NOT_FOUND`. */
  require(name: string): TopicState {
    const topic = this.#byName.get(name);
    if (topic === undefined) {
      throw new HeraldError('HERALD_TOPIC_NOT_FOUND', `topic ${JSON.stringify(name)} does not exist`, {
        details: { topic: name },
      });
    }
    return topic;
  }

  /** The log of a partition, or `HERALD_TOPIC_NOT_FOUND` / `HERALD_PARTITION_OUT_OF_RANGE`. */
  log(topicName: string, partition: number): PartitionLog {
    const topic = this.require(topicName);
    const log = topic.logs[partition];
    if (log === undefined) {
      throw new HeraldError(
        'HERALD_PARTITION_OUT_OF_RANGE',
        `topic ${topic.name} has ${topic.logs.length} partitions; ${partition} is out of range`,
        { details: { topic: topic.name, partition, partitions: topic.logs.length } },
      );
    }
    return log;
  }

  logById(id: number): PartitionLog | undefined {
    return this.#logs.get(id);
  }

  all(): TopicState[] {
    return [...this.#byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Creates a validated topic. SQLite's schema changes cost more the more tables the file has (10,000 partitions
   * take seconds), so the partitions' tables are made first, a few milliseconds at a time with the event loop free
   * in between, and the topic then appears at once: its catalog rows in one durable transaction. A crash before
   * that leaves only tables nothing names, dropped at the next start.
   * @throws `HERALD_TOPIC_EXISTS` unless `ifMissing` (then the existing topic is returned).
   */
  create(spec: TopicSpec, ifMissing = false): Promise<TopicState> {
    return this.#serially(async () => {
      const existing = this.#byName.get(spec.name);
      if (existing !== undefined) {
        if (ifMissing) return existing;
        throw new HeraldError('HERALD_TOPIC_EXISTS', `topic ${spec.name} already exists`, {
          details: { topic: spec.name },
        });
      }
      const configs = { ...(spec.configs ?? {}) };
      const compacted = spec.compacted === true;
      const retentionMs = spec.retentionMs ?? configNumber(configs, 'retention.ms');
      const retentionBytes = spec.retentionBytes ?? configNumber(configs, 'retention.bytes');
      const first = this.#store.nextLogId();
      const ids = Array.from({ length: spec.partitions }, (_, partition) => first + partition);
      let topic: TopicState;
      try {
        await this.#inSlices(ids, (id) => PartitionLog.createTable(this.#store.db, id));
        topic = this.#store.transaction(() =>
          this.#insertCatalog(spec.name, compacted, retentionMs, retentionBytes, configs, ids),
        );
      } catch (err) {
        // Not named by any catalog row: dropped now, or at the next start if this fails too.
        await this.#inSlices(ids, (id) => PartitionLog.dropTable(this.#store.db, this.#store.bulk, id)).catch(() => {});
        throw err;
      }
      this.#byName.set(topic.name, topic);
      for (const log of topic.logs) this.#logs.set(log.id, log);
      return topic;
    });
  }

  /** The catalog rows of a topic whose log tables exist (inside the caller's transaction), and its state. */
  #insertCatalog(
    name: string,
    compacted: boolean,
    retentionMs: number | null,
    retentionBytes: number | null,
    configs: Record<string, string>,
    logIds: number[],
  ): TopicState {
    const id = this.#store.insertTopic({
      name,
      compacted: compacted ? 1 : 0,
      retention_ms: retentionMs,
      retention_bytes: retentionBytes,
      configs: JSON.stringify(configs),
      created_at: Date.now(),
    });
    const state = this.#topicState(id, name, compacted, retentionMs, retentionBytes, configs);
    for (const [partition, logId] of logIds.entries()) {
      this.#store.insertLog(logId, id, partition);
      state.logs.push(new PartitionLog(this.#store.db, logId, state, partition, 0, 0));
    }
    return state;
  }

  /**
   * Deletes a topic: its catalog rows and the offsets groups committed on it in one durable transaction (from then
   * on it is gone), then its tables, a few milliseconds at a time. A crash in between leaves tables nothing names,
   * dropped at the next start.
   */
  delete(topic: TopicState): Promise<void> {
    return this.#serially(async () => {
      if (topic.deleted) return;
      const ids = topic.logs.map((log) => log.id);
      this.#store.transaction(() => this.#store.deleteTopic(topic.id, ids));
      topic.deleted = true;
      this.#byName.delete(topic.name);
      for (const log of topic.logs) {
        this.#logs.delete(log.id);
        log.forget();
      }
      await this.#inSlices(ids, (id) => PartitionLog.dropTable(this.#store.db, this.#store.bulk, id));
    });
  }

  /** Drops tables no catalog row names (left by a crash during a topic's creation or deletion). */
  dropOrphans(): Promise<number> {
    return this.#serially(async () => {
      const tables = new Set([...this.#store.logTableIds(), ...this.#store.bulk.logIds()]);
      const orphans = [...tables].filter((id) => !this.#logs.has(id));
      await this.#inSlices(orphans, (id) => PartitionLog.dropTable(this.#store.db, this.#store.bulk, id));
      return orphans.length;
    });
  }

  /** Resolves once every schema change started so far is done (stop waits for it). */
  settled(): Promise<void> {
    return this.#ddl.then(() => {});
  }

  /** Runs schema changes one after another, so that a creation's ids and tables are its own. */
  #serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#ddl.then(work);
    this.#ddl = result.catch(() => {});
    return result;
  }

  /** `step` for each id, in transactions of at most {@link DDL_SLICE_MS} each, yielding to the event loop between. */
  async #inSlices(ids: number[], step: (id: number) => void): Promise<void> {
    let at = 0;
    while (at < ids.length) {
      const started = performance.now();
      this.#store.transaction(() => {
        do step(ids[at++]);
        while (at < ids.length && performance.now() - started < DDL_SLICE_MS);
      }, false);
      if (at < ids.length) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  describe(topic: TopicState): TopicInfo {
    const partitions: PartitionInfo[] = topic.logs.map((log) => ({
      partition: log.partition,
      earliest: log.earliest(),
      latest: log.next,
    }));
    return { name: topic.name, compacted: topic.compacted, partitions };
  }
}
