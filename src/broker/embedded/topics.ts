import { HeraldError } from '../../errors.ts';
import type { PartitionInfo, TopicInfo, TopicSpec } from '../port.ts';
import { PartitionLog, type TopicState } from './partition-log.ts';
import type { Store } from './store.ts';


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

  constructor(store: Store) {
    this.#store = store;
    const logsByTopic = new Map<number, { id: number; part: number; next: number; bytes: number }[]>();
    for (const row of store.loadLogs()) {
      let list = logsByTopic.get(row.topic_id);
      if (list === undefined) {
        list = [];
        logsByTopic.set(row.topic_id, list);
      }
      list.push({ id: row.id, part: row.part, next: row.next_offset, bytes: row.bytes });
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
        topic.logs[log.part] = new PartitionLog(store.db, log.id, topic, log.part, log.next, log.bytes);
        this.#logs.set(log.id, topic.logs[log.part]);
      }
      this.#byName.set(topic.name, topic);
    }
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

  /** Creates a validated topic: catalog rows and one table per partition, in one transaction. */
  create(spec: TopicSpec): TopicState {
    const configs = { ...(spec.configs ?? {}) };
    const compacted = spec.compacted === true;
    const retentionMs = spec.retentionMs ?? configNumber(configs, 'retention.ms');
    const retentionBytes = spec.retentionBytes ?? configNumber(configs, 'retention.bytes');
    const topic = this.#store.transaction(() => {
      const id = this.#store.insertTopic({
        name: spec.name,
        compacted: compacted ? 1 : 0,
        retention_ms: retentionMs,
        retention_bytes: retentionBytes,
        configs: JSON.stringify(configs),
        created_at: Date.now(),
      });
      const state = this.#topicState(id, spec.name, compacted, retentionMs, retentionBytes, configs);
      for (let partition = 0; partition < spec.partitions; partition++) {
        const logId = this.#store.insertLog(id, partition);
        PartitionLog.createTable(this.#store.db, logId, compacted);
        state.logs.push(new PartitionLog(this.#store.db, logId, state, partition, 0, 0));
      }
      return state;
    });
    this.#byName.set(topic.name, topic);
    for (const log of topic.logs) this.#logs.set(log.id, log);
    return topic;
  }

  /** Deletes a topic, its records and the offsets groups committed on it, in one transaction. */
  delete(topic: TopicState): void {
    this.#store.transaction(() => {
      this.#store.deleteTopic(
        topic.id,
        topic.logs.map((log) => log.id),
      );
      for (const log of topic.logs) log.dropTable();
    });
    topic.deleted = true;
    this.#byName.delete(topic.name);
    for (const log of topic.logs) this.#logs.delete(log.id);
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
