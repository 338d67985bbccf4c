/**
 * Topic administration on `@platformatic/kafka`'s `Admin`: create (with Herald's topic options as Kafka topic
 * configs), describe (partitions with earliest/latest offsets, `cleanup.policy`), list and delete. Creation and
 * deletion return only once the cluster's metadata shows the change, so the next call of any client sees it.
 */
import {
  type Admin,
  ConfigResourceTypes,
  ConfigSources,
  type FetchIsolationLevelValue,
  FetchIsolationLevels,
  ListOffsetTimestamps,
} from '@platformatic/kafka';
import { HeraldError } from '../../errors.ts';
import type { Isolation, PartitionInfo, TopicInfo, TopicSpec, TopicStorage } from '../port.ts';
import { codeOf, toHeraldError } from './errors.ts';
import { topicsMetadata } from './metadata.ts';
import { checkTopicSpec, isTopicName } from '../rules.ts';

/** How long create/delete wait for the cluster's metadata to show the change. */
const PROPAGATION_TIMEOUT_MS = 15_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Tries of {@link Topics.endOffsets} before an incomplete answer is an error, and the pause after the first. */
const END_OFFSETS_ATTEMPTS = 5;
const END_OFFSETS_RETRY_MS = 200;

/** Herald's topic options as Kafka topic configs, for a spec the port's rules accept. */
export function topicConfigs(spec: TopicSpec): { name: string; value: string }[] {
  checkTopicSpec(spec);
  const configs = new Map<string, string>();
  if (spec.compacted === true) configs.set('cleanup.policy', 'compact');
  // Absent means the broker's default; Kafka's -1 ("keep forever") is not part of the port.
  if (spec.retentionMs !== undefined) configs.set('retention.ms', String(spec.retentionMs));
  if (spec.retentionBytes !== undefined) configs.set('retention.bytes', String(spec.retentionBytes));
  for (const [name, value] of Object.entries(spec.configs ?? {})) configs.set(name, value);
  return [...configs].map(([name, value]) => ({ name, value }));
}

export class Topics {
  readonly #admin: Admin;
  readonly #replicationFactor: number;
  /**
   * Creates and deletes in progress, by topic. The library merges identical concurrent requests into one, which
   * would let two concurrent creates of one name both succeed; here the second waits for the first and then gets
   * the answer Kafka would give it (`HERALD_TOPIC_EXISTS`, or `HERALD_TOPIC_NOT_FOUND` for a second delete).
   */
  readonly #inProgress = new Map<string, Promise<void>>();

  constructor(admin: Admin, replicationFactor: number) {
    this.#admin = admin;
    this.#replicationFactor = replicationFactor;
  }

  async create(spec: TopicSpec): Promise<void> {
    const configs = topicConfigs(spec);
    const replicas = spec.replicationFactor ?? this.#replicationFactor;
    await this.#exclusive(spec.name, 'HERALD_TOPIC_EXISTS', async () => {
      try {
        await this.#admin.createTopics({
          topics: [{ topic: spec.name, partitions: spec.partitions, replicas }],
          configs,
        });
      } catch (err) {
        throw toHeraldError(err, `create topic ${spec.name}`);
      }
      await this.#await(spec.name, true);
    });
  }

  /** Runs `change` of topic `name`; while another change of it runs, waits for it and fails with `code` if it won. */
  async #exclusive(
    name: string,
    code: 'HERALD_TOPIC_EXISTS' | 'HERALD_TOPIC_NOT_FOUND',
    change: () => Promise<void>,
  ): Promise<void> {
    const running = this.#inProgress.get(name);
    if (running !== undefined) {
      const won = await running.then(
        () => true,
        () => false,
      );
      if (!won) return this.#exclusive(name, code, change);
      throw new HeraldError(code, `topic ${name} ${code === 'HERALD_TOPIC_EXISTS' ? 'exists' : 'does not exist'}`);
    }
    const run = change();
    this.#inProgress.set(name, run);
    try {
      await run;
    } finally {
      if (this.#inProgress.get(name) === run) this.#inProgress.delete(name);
    }
  }

  /** Resolves once metadata shows the topic with a leader per partition (`present`), or no longer shows it. */
  async #await(name: string, present: boolean): Promise<void> {
    const deadline = Date.now() + PROPAGATION_TIMEOUT_MS;
    for (;;) {
      try {
        await topicsMetadata(this.#admin, [name], true);
        if (present) return;
      } catch (err) {
        if (!present && codeOf(err) === 'HERALD_TOPIC_NOT_FOUND') return;
        if (codeOf(err) === 'HERALD_BROKER_UNAVAILABLE' && Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) return;
      await sleep(100);
    }
  }

  async delete(name: string): Promise<void> {
    if (!isTopicName(name)) throw new HeraldError('HERALD_TOPIC_NOT_FOUND', `topic ${String(name)} does not exist`);
    await this.#exclusive(name, 'HERALD_TOPIC_NOT_FOUND', async () => {
      try {
        await this.#admin.deleteTopics({ topics: [name] });
      } catch (err) {
        throw toHeraldError(err, `delete topic ${name}`);
      }
      await this.#await(name, false);
    });
  }

  async describe(name: string): Promise<TopicInfo> {
    if (!isTopicName(name)) throw new HeraldError('HERALD_TOPIC_NOT_FOUND', `topic ${String(name)} does not exist`);
    const [info] = await this.#describeAll([name]);
    return info;
  }

  /**
   * Bytes per partition (the largest replica: one copy, as the brokers' log dirs report it) and the retention in
   * force, with the settings the topic has of its own.
   */
  async storage(name: string): Promise<TopicStorage> {
    const { partitions } = await this.describe(name);
    let described;
    let dirs;
    try {
      [described, dirs] = await Promise.all([
        this.#admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }] }),
        this.#admin.describeLogDirs({ topics: [{ name, partitions: partitions.map((p) => p.partition) }] }),
      ]);
    } catch (err) {
      throw toHeraldError(err, `storage of ${name}`);
    }
    const bytes = new Map<number, number>();
    for (const broker of dirs) {
      for (const dir of broker.results) {
        for (const p of dir.topics.find((t) => t.name === name)?.partitions ?? []) {
          bytes.set(p.partitionIndex, Math.max(bytes.get(p.partitionIndex) ?? 0, Number(p.partitionSize)));
        }
      }
    }
    const configs = described[0]?.configs ?? [];
    const limit = (key: string) => {
      const value = Number(configs.find((c) => c.name === key)?.value ?? -1);
      return value < 0 ? null : value;
    };
    return {
      partitions: partitions.map((p) => ({ partition: p.partition, bytes: bytes.get(p.partition) ?? 0 })),
      retentionMs: limit('retention.ms'),
      retentionBytes: limit('retention.bytes'),
      configs: Object.fromEntries(
        configs.filter((c) => c.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG && c.value !== null).map((c) => [c.name, c.value!]),
      ),
    };
  }

  /** Every topic except Kafka's internal ones, by name. Topics deleted meanwhile are left out. */
  async list(): Promise<TopicInfo[]> {
    let names: string[];
    try {
      names = await this.#admin.listTopics();
    } catch (err) {
      throw toHeraldError(err, 'list topics');
    }
    if (names.length === 0) return [];
    try {
      return await this.#describeAll(names);
    } catch (err) {
      if (codeOf(err) !== 'HERALD_TOPIC_NOT_FOUND') throw err;
      // One of them was deleted while listing: describe them one by one, skipping the missing.
      const each = await Promise.all(
        names.map((name) =>
          this.describe(name).catch((e: unknown) => {
            if (codeOf(e) === 'HERALD_TOPIC_NOT_FOUND') return undefined;
            throw e;
          }),
        ),
      );
      return each.filter((t) => t !== undefined);
    }
  }

  /**
   * `earliest` and the end a reader with `isolation` can reach, for every partition of `name`. Metadata without the
   * topic's partitions, or offsets missing a partition, are asked for again a few times and then an error — never
   * taken for an empty topic (a CI run read a topic as empty that way).
   */
  async endOffsets(name: string, isolation: Isolation): Promise<PartitionInfo[]> {
    const level = isolation === 'read_committed' ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED;
    for (let attempt = 1; ; attempt++) {
      const metadata = await topicsMetadata(this.#admin, [name], true);
      const count = metadata.topics.get(name)?.partitionsCount ?? 0;
      const [earliest, latest] = await Promise.all([
        this.offsets([name], [count], ListOffsetTimestamps.EARLIEST),
        this.offsets([name], [count], ListOffsetTimestamps.LATEST, level),
      ]);
      const partitions: PartitionInfo[] = [];
      for (let partition = 0; partition < count; partition++) {
        const key = `${name}\0${partition}`;
        const [first, end] = [earliest.get(key), latest.get(key)];
        if (first === undefined || end === undefined) break;
        partitions.push({ partition, earliest: first, latest: end });
      }
      if (count > 0 && partitions.length === count) return partitions;
      if (attempt === END_OFFSETS_ATTEMPTS) {
        throw new HeraldError('HERALD_BROKER_UNAVAILABLE', `end offsets of ${name}: ${count === 0 ? 'no partitions in the metadata' : 'a partition missing from the answer'}, ${attempt} times`);
      }
      await sleep(END_OFFSETS_RETRY_MS * attempt);
    }
  }

  async #describeAll(names: string[]): Promise<TopicInfo[]> {
    const metadata = await topicsMetadata(this.#admin, names, true);
    const counts = names.map((name) => metadata.topics.get(name)?.partitionsCount ?? 0);
    const [earliest, latest, compacted] = await Promise.all([
      this.offsets(names, counts, ListOffsetTimestamps.EARLIEST),
      this.offsets(names, counts, ListOffsetTimestamps.LATEST),
      this.#compacted(names),
    ]);
    return names.map((name, i) => {
      const partitions: PartitionInfo[] = [];
      for (let partition = 0; partition < counts[i]; partition++) {
        const key = `${name}\0${partition}`;
        partitions.push({ partition, earliest: earliest.get(key) ?? 0, latest: latest.get(key) ?? 0 });
      }
      return { name, compacted: compacted.has(name), partitions };
    });
  }

  /**
   * Offsets at `timestamp` (earliest/latest) of every partition of `names`, keyed `topic\0partition`. Latest under
   * `READ_COMMITTED` is the last stable offset; by default (read uncommitted) the high watermark.
   */
  async offsets(
    names: string[],
    counts: number[],
    timestamp: bigint,
    isolationLevel: FetchIsolationLevelValue = FetchIsolationLevels.READ_UNCOMMITTED,
  ): Promise<Map<string, number>> {
    const topics = names.map((name, i) => ({
      name,
      partitions: Array.from({ length: counts[i] }, (_, partitionIndex) => ({ partitionIndex, timestamp })),
    }));
    const out = new Map<string, number>();
    try {
      for (const topic of await this.#admin.listOffsets({ topics, isolationLevel })) {
        for (const p of topic.partitions) out.set(`${topic.name}\0${p.partitionIndex}`, Number(p.offset));
      }
    } catch (err) {
      throw toHeraldError(err, `offsets of ${names.length === 1 ? names[0] : `${names.length} topics`}`);
    }
    return out;
  }

  /** The topics of `names` whose `cleanup.policy` includes `compact`. */
  async #compacted(names: string[]): Promise<Set<string>> {
    try {
      const described = await this.#admin.describeConfigs({
        resources: names.map((resourceName) => ({
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName,
          configurationKeys: ['cleanup.policy'],
        })),
      });
      const out = new Set<string>();
      for (const resource of described) {
        const policy = resource.configs.find((c) => c.name === 'cleanup.policy')?.value ?? '';
        if (policy.split(',').includes('compact')) out.add(resource.resourceName);
      }
      return out;
    } catch (err) {
      throw toHeraldError(err, 'topic configs');
    }
  }
}
