import { HeraldError } from '../../errors.ts';
import type {
  Admin,
  BrokerRecord,
  EndOffsetsOptions,
  GroupInfo,
  GroupOffset,
  GroupMember as PortGroupMember,
  PartitionInfo,
  RecordPosition,
  TopicInfo,
  TopicSpec,
  TopicStorage,
} from '../port.ts';
import type { GroupCoordinator, GroupMember } from './group-coordinator.ts';
import type { CommittedOffsets } from './offsets.ts';
import type { PartitionLog } from './partition-log.ts';
import { toBrokerRecord } from './records.ts';
import type { TopicRegistry } from './topics.ts';
import { checkEndOffsetsOptions, checkPosition, checkReadLimit, checkTopicSpec } from '../rules.ts';

function invalid(message: string): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', message);
}

/** Most records one `read` returns, whatever `limit` asks for: reads run on the event loop. */
export const MAX_READ = 10_000;

/** Groups whose members are not this broker's own consumers (Kafka clients on its Kafka listener). */
export interface ExternalGroups {
  /** Groups with members now. */
  names(): string[];
  /** The members of `group` now (none when it has none). */
  members(group: string): PortGroupMember[];
  /** Whether `group` has members (or members about to join) now. */
  active(group: string): boolean;
}

/** What the admin needs from its broker; the getters throw the broker's lifecycle error when it is not running. */
export interface AdminContext {
  topics(): TopicRegistry;
  offsets(): CommittedOffsets;
  coordinators(): Iterable<GroupCoordinator>;
  /** Kafka-protocol groups, listed and described next to the broker's own. */
  external?: ExternalGroups;
  /** Rebalances groups subscribed to `topic` after it was created or deleted. */
  topicChanged(topic: string): void;
}

export class EmbeddedAdmin implements Admin {
  readonly #context: AdminContext;

  constructor(context: AdminContext) {
    this.#context = context;
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    checkTopicSpec(spec);
    await this.#context.topics().create(spec);
    this.#context.topicChanged(spec.name);
  }

  async ensureTopic(spec: TopicSpec): Promise<void> {
    checkTopicSpec(spec);
    const topics = this.#context.topics();
    if (topics.get(spec.name) !== undefined) return;
    await topics.create(spec, true);
    this.#context.topicChanged(spec.name);
  }

  async listTopics(): Promise<TopicInfo[]> {
    const topics = this.#context.topics();
    return topics.all().map((topic) => topics.describe(topic));
  }

  async describeTopic(name: string): Promise<TopicInfo> {
    if (typeof name !== 'string') throw invalid('topic name must be a string');
    const topics = this.#context.topics();
    return topics.describe(topics.require(name));
  }

  async topicStorage(name: string): Promise<TopicStorage> {
    if (typeof name !== 'string') throw invalid('topic name must be a string');
    const topic = this.#context.topics().require(name);
    return {
      partitions: topic.logs.map((log) => ({ partition: log.partition, bytes: log.bytes })),
      retentionMs: topic.retentionMs,
      retentionBytes: topic.retentionBytes,
      configs: { ...topic.configs },
    };
  }

  async deleteTopic(name: string): Promise<void> {
    if (typeof name !== 'string') throw invalid('topic name must be a string');
    const topics = this.#context.topics();
    const topic = topics.require(name);
    await topics.delete(topic);
    this.#context.offsets().forgetLogs(topic.logs.map((log) => log.id));
    this.#context.topicChanged(name);
  }

  async listGroups(): Promise<string[]> {
    const names = new Set(this.#context.offsets().groups());
    for (const coordinator of this.#context.coordinators()) {
      if (coordinator.members().some((m) => m.active)) names.add(coordinator.group);
    }
    for (const name of this.#context.external?.names() ?? []) names.add(name);
    return [...names].sort();
  }

  async describeGroup(group: string): Promise<GroupInfo> {
    if (typeof group !== 'string') throw invalid('group must be a string');
    const topics = this.#context.topics();
    const committed = this.#context.offsets().ofGroup(group);
    let members: GroupMember[] = [];
    for (const coordinator of this.#context.coordinators()) {
      if (coordinator.group === group) members = coordinator.members().filter((m) => m.active);
    }
    const external = this.#context.external?.members(group) ?? [];
    if (members.length === 0 && external.length === 0 && committed.size === 0) {
      throw new HeraldError('HERALD_GROUP_NOT_FOUND', `consumer group ${JSON.stringify(group)} does not exist`, {
        details: { group },
      });
    }
    const logs = new Set<PartitionLog>();
    for (const id of committed.keys()) {
      const log = topics.logById(id);
      if (log !== undefined) logs.add(log);
    }
    for (const member of members) for (const log of member.ownedLogs()) logs.add(log);
    for (const member of external) {
      for (const tp of member.assignment) {
        const log = topics.get(tp.topic)?.logs[tp.partition];
        if (log !== undefined) logs.add(log);
      }
    }
    const offsets: GroupOffset[] = [...logs].map((log) => {
      const offset = committed.get(log.id) ?? null;
      const base = offset ?? log.earliest();
      return {
        topic: log.topic.name,
        partition: log.partition,
        committed: offset,
        latest: log.next,
        lag: Math.max(0, log.next - base),
      };
    });
    offsets.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    return {
      group,
      members: [
        ...members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, assignment: m.assignment() })),
        ...external,
      ],
      offsets,
    };
  }

  /**
   * `read_committed`: the last stable offset (below any Kafka transaction open through the listener);
   * `read_uncommitted`: the high watermark.
   */
  async endOffsets(topic: string, options: EndOffsetsOptions = {}): Promise<PartitionInfo[]> {
    const isolation = checkEndOffsetsOptions(options);
    const partitions = (await this.describeTopic(topic)).partitions;
    if (isolation === 'read_committed') return partitions;
    const logs = this.#context.topics().require(topic).logs;
    return partitions.map((p) => ({ ...p, latest: logs[p.partition].end }));
  }

  async read(position: RecordPosition, limit: number): Promise<BrokerRecord[]> {
    checkPosition(position, 'read');
    checkReadLimit(limit);
    const log = this.#context.topics().log(position.topic, position.partition);
    const rows = log.read(position.offset, Math.min(limit, MAX_READ));
    return rows.map((row) => toBrokerRecord(log.topic.name, log.partition, row));
  }
}
