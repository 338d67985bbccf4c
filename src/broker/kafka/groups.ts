/**
 * Consumer group descriptions: members and their assignments (DescribeGroups), committed offsets (OffsetFetch),
 * the end of each partition (ListOffsets) and the lag between them.
 */
import { type Admin, findErrorBy, ListOffsetTimestamps } from '@platformatic/kafka';
import { HeraldError } from '../../errors.ts';
import type { GroupInfo, GroupMember, GroupOffset, TopicPartition } from '../port.ts';
import { codeOf, toHeraldError } from './errors.ts';
import { partitionKey } from './fetch-state.ts';

/**
 * Stable lookups tried (each with the library's own retries, ~0.75 s) before showing the offsets committed before an
 * open transaction: on a fresh cluster the first transaction's markers took longer than one.
 */
const STABLE_ATTEMPTS = 4;

/** A committed offset of a partition. */
type Committed = TopicPartition & { offset: number };

/** Kafka's answer while a transaction's offsets are pending: UNSTABLE_OFFSET_COMMIT. */
function isUnstable(err: unknown): boolean {
  return err instanceof Error && findErrorBy(err, 'apiId', 'UNSTABLE_OFFSET_COMMIT') !== null;
}

/** The partition numbers of `partitions`, by topic. */
function byTopic(partitions: TopicPartition[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { topic, partition } of partitions) out.set(topic, [...(out.get(topic) ?? []), partition]);
  return out;
}

export class Groups {
  readonly #admin: Admin;

  constructor(admin: Admin) {
    this.#admin = admin;
  }

  async list(): Promise<string[]> {
    try {
      const groups = await this.#admin.listGroups();
      return [...groups.keys()].sort();
    } catch (err) {
      throw toHeraldError(err, 'list groups');
    }
  }

  /** `HERALD_GROUP_NOT_FOUND` when the group has neither members nor committed offsets. */
  async describe(group: string): Promise<GroupInfo> {
    if (typeof group !== 'string' || group.length === 0) {
      throw new HeraldError('HERALD_INVALID_ARGUMENT', 'a group name must be a non-empty string');
    }
    const [members, listed] = await Promise.all([this.#members(group), this.#committedOffsets(group, null, false)]);
    if (members.length === 0 && listed.size === 0) {
      throw new HeraldError('HERALD_GROUP_NOT_FOUND', `consumer group ${group} does not exist`);
    }
    const partitions = new Map<string, TopicPartition>();
    for (const member of members)
      for (const tp of member.assignment) partitions.set(partitionKey(tp.topic, tp.partition), tp);
    for (const { topic, partition } of listed.values()) partitions.set(partitionKey(topic, partition), { topic, partition });
    const committed = partitions.size === 0 ? listed : await this.#stable(group, [...partitions.values()], listed);
    const [earliest, latest] = await Promise.all([
      this.#offsets([...partitions.values()], ListOffsetTimestamps.EARLIEST),
      this.#offsets([...partitions.values()], ListOffsetTimestamps.LATEST),
    ]);
    const offsets: GroupOffset[] = [];
    for (const [key, tp] of partitions) {
      const end = latest.get(key);
      // A partition whose topic was deleted has no end any more: leave it out.
      if (end === undefined) continue;
      const done = committed.get(key)?.offset ?? null;
      offsets.push({ ...tp, committed: done, latest: end, lag: Math.max(0, end - (done ?? earliest.get(key) ?? 0)) });
    }
    offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return { group, members, offsets };
  }

  async #members(group: string): Promise<GroupMember[]> {
    try {
      const described = (await this.#admin.describeGroups({ groups: [group] })).get(group);
      if (described === undefined || described.state === 'Dead') return [];
      return [...described.members.values()].map((m) => ({
        memberId: m.id,
        clientId: m.clientId,
        assignment: [...(m.assignments?.values() ?? [])]
          .flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })))
          .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
      }));
    } catch (err) {
      if (codeOf(err) === 'HERALD_GROUP_NOT_FOUND') return [];
      throw toHeraldError(err, `describe group ${group}`);
    }
  }

  /**
   * The committed offsets of `partitions`, stable: offsets a transaction committed are reported once its markers are
   * written, not before (Kafka answers EndTxn first, and a describe right after a transaction showed the offsets
   * before it). Asked partition by partition, since a lookup of the whole group leaves out a partition whose first
   * offsets are still pending. While a transaction stays open (its producer hung or was killed, until it times out
   * or is fenced) no stable answer comes: after {@link STABLE_ATTEMPTS} lookups, `listed` (the offsets committed
   * before it) is shown instead of an error.
   */
  async #stable(group: string, partitions: TopicPartition[], listed: Map<string, Committed>): Promise<Map<string, Committed>> {
    const topics = [...byTopic(partitions)].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    for (let attempt = 1; attempt <= STABLE_ATTEMPTS; attempt++) {
      try {
        return await this.#committedOffsets(group, topics, true);
      } catch (err) {
        if (!isUnstable(err)) throw err;
      }
    }
    return listed;
  }

  /** Committed offsets of the group: of `topics`, or of every partition it committed (`null`). */
  async #committedOffsets(
    group: string,
    topics: { name: string; partitionIndexes: number[] }[] | null,
    requireStable: boolean,
  ): Promise<Map<string, Committed>> {
    const out = new Map<string, Committed>();
    try {
      const groups = [topics === null ? group : { groupId: group, topics }];
      for (const g of await this.#admin.listConsumerGroupOffsets({ groups, requireStable })) {
        for (const topic of g.topics) {
          for (const p of topic.partitions) {
            if (p.committedOffset < 0n) continue;
            const tp = { topic: topic.name, partition: p.partitionIndex, offset: Number(p.committedOffset) };
            out.set(partitionKey(tp.topic, tp.partition), tp);
          }
        }
      }
    } catch (err) {
      if (requireStable && isUnstable(err)) throw err;
      if (codeOf(err) !== 'HERALD_GROUP_NOT_FOUND') throw toHeraldError(err, `committed offsets of ${group}`);
    }
    return out;
  }

  /** Offsets at `timestamp` of `partitions`; partitions of topics that no longer exist are missing. */
  async #offsets(partitions: TopicPartition[], timestamp: bigint): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    // One topic at a time, so that a deleted topic only loses its own partitions.
    await Promise.all(
      [...byTopic(partitions)].map(async ([name, list]) => {
        try {
          const listed = await this.#admin.listOffsets({
            topics: [{ name, partitions: list.map((partitionIndex) => ({ partitionIndex, timestamp })) }],
          });
          for (const topic of listed) {
            for (const p of topic.partitions) out.set(partitionKey(topic.name, p.partitionIndex), Number(p.offset));
          }
        } catch (err) {
          if (codeOf(err) !== 'HERALD_TOPIC_NOT_FOUND') throw toHeraldError(err, `offsets of ${name}`);
        }
      }),
    );
    return out;
  }
}
