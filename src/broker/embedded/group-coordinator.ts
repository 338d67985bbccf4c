import type { Logger } from 'pino';
import { withTimeout } from '../../kit/timeout.ts';
import { assignCoPartitioned } from '../co-partitioned.ts';
import type { AssignmentStrategy } from '../port.ts';
import { type AssignableMember, assignRoundRobin } from './assignor.ts';
import type { PartitionLog } from './partition-log.ts';
import type { TopicRegistry } from './topics.ts';
import type { Writer } from './writer.ts';

/** `'done'` when `work` resolves within `ms`, else `'timeout'`. */
function bounded(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  return withTimeout(
    work.then(() => 'done' as const),
    ms,
    () => 'timeout' as const,
  );
}

/** A member of a group as the coordinator drives it (the embedded consumer). */
export interface GroupMember extends AssignableMember {
  readonly clientId: string;
  readonly options: { readonly sessionTimeoutMs: number; readonly assignment: AssignmentStrategy };
  /** Whether the coordinator may give this member partitions. */
  readonly active: boolean;
  ownedLogs(): PartitionLog[];
  owns(log: PartitionLog): boolean;
  assignment(): { topic: string; partition: number }[];
  /** Takes `logs` (`onAssigned`, then records). */
  assign(logs: PartitionLog[]): Promise<void>;
  /** Gives `logs` up (`onRevoked` awaited). */
  revoke(logs: PartitionLog[]): Promise<void>;
  /** Expels the member whose revocation `work` outlived its session timeout. */
  fence(work: Promise<void>): void;
}

interface Slot {
  topic: string;
  partition: number;
  log: PartitionLog;
}


/**
 * One consumer group. Joins, leaves and topic changes are handled one at a time; each computes the target
 * assignment (round-robin over active members in join order, by partition number when a member asks for
 * `'co-partitioned'`) and moves partitions in two phases: first every
 * member losing partitions revokes them (its `onRevoked` awaited, bounded by its `sessionTimeoutMs`), then — after
 * commits made during revocation are durable — new owners take them (`onAssigned`, then records). A partition thus
 * never has two owners at once.
 */
export class GroupCoordinator {
  readonly group: string;
  readonly #topics: () => TopicRegistry;
  readonly #writer: () => Writer;
  readonly #logger: Logger | undefined;
  #members: GroupMember[] = [];
  #chain: Promise<void> = Promise.resolve();

  constructor(group: string, topics: () => TopicRegistry, writer: () => Writer, logger?: Logger) {
    this.group = group;
    this.#topics = topics;
    this.#writer = writer;
    this.#logger = logger;
  }

  members(): readonly GroupMember[] {
    return this.#members;
  }

  subscribes(topic: string): boolean {
    return this.#members.some((m) => m.topics.includes(topic));
  }

  /** Adds `member` and rebalances; resolves once it holds its share. */
  join(member: GroupMember): Promise<void> {
    return this.#serialize(async () => {
      if (!this.#members.includes(member)) this.#members.push(member);
      await this.#rebalance();
    });
  }

  /** Revokes everything `member` (already inactive) owns, removes it and hands its partitions to the others. */
  leave(member: GroupMember): Promise<void> {
    return this.#serialize(async () => {
      if (!this.#members.includes(member)) return;
      await this.#rebalance();
      this.#members = this.#members.filter((m) => m !== member);
    });
  }

  /** A subscribed topic was created or deleted. */
  topicsChanged(): Promise<void> {
    return this.#serialize(() => this.#rebalance());
  }

  #serialize(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(task);
    this.#chain = run.catch((err) =>
      this.#logger?.error({ err, group: this.group }, 'embedded broker: rebalance failed'),
    );
    return run;
  }

  async #rebalance(): Promise<void> {
    for (;;) {
      const active = this.#members.filter((m) => m.active);
      const slots: Slot[] = [];
      const registry = this.#topics();
      for (const name of new Set(active.flatMap((m) => m.topics))) {
        for (const log of registry.get(name)?.logs ?? []) slots.push({ topic: name, partition: log.partition, log });
      }
      // One member asking for co-partitioning is enough: spreading would break its joins.
      const coPartitioned = active.some((m) => m.options.assignment === 'co-partitioned');
      const target = coPartitioned ? assignCoPartitioned(active, slots) : assignRoundRobin(active, slots);
      const revocations: Promise<GroupMember | null>[] = [];
      for (const member of this.#members) {
        const keep = new Set((target.get(member) ?? []).map((s) => s.log));
        const lose = member.ownedLogs().filter((log) => !keep.has(log));
        if (lose.length > 0) revocations.push(this.#revoke(member, lose));
      }
      const fenced = (await Promise.all(revocations)).filter((m) => m !== null);
      if (fenced.length > 0) {
        this.#members = this.#members.filter((m) => !fenced.includes(m));
        continue; // the target counted the fenced members: compute it again without them
      }
      // Commits made in onRevoked must be durable before a new owner reads the committed offset.
      await this.#writer().barrier();
      const assignments: Promise<unknown>[] = [];
      for (const member of active) {
        if (!member.active) continue;
        const gain = (target.get(member) ?? [])
          .map((s) => s.log)
          .filter((log) => !member.owns(log) && !log.topic.deleted);
        if (gain.length > 0) assignments.push(bounded(member.assign(gain), member.options.sessionTimeoutMs));
      }
      // A slow onAssigned delays only its own member's records, not the whole group, past the session timeout.
      await Promise.all(assignments);
      this.#logger?.debug(
        { group: this.group, members: active.map((m) => ({ memberId: m.memberId, assignment: m.assignment() })) },
        'embedded broker: group rebalanced',
      );
      return;
    }
  }

  /** Resolves with the member if it had to be fenced (it did not release within its session timeout). */
  async #revoke(member: GroupMember, logs: PartitionLog[]): Promise<GroupMember | null> {
    const work = member.revoke(logs);
    if ((await bounded(work, member.options.sessionTimeoutMs)) === 'done') return null;
    const wasActive = member.active;
    member.fence(work);
    return wasActive ? member : null;
  }
}
