/**
 * The `'co-partitioned'` assignment strategy, shared by both brokers: partition *p* of every subscribed topic goes
 * to the same member, so records with one key in topics partitioned alike (a processor's inputs, its table, a
 * joined table) meet in one member. The rule that makes it possible (equal partition counts) is
 * `checkCoPartitioned` in `rules.ts`.
 */
import type { TopicPartition } from './port.ts';

/** A member as the assignor sees it: the topics it subscribes to. */
export interface CoPartitionMember {
  readonly topics: readonly string[];
}

/**
 * Deals partition numbers round-robin over `members` (in the given order, which callers make deterministic):
 * partition number *p* goes to `members[p mod n]` for every subscribed topic that has a partition *p*. When members
 * subscribe to different topics, a topic the chosen member does not subscribe to goes to the next member in order
 * that does — co-partitioning then holds among members with the same subscription. Every partition of a subscribed
 * topic gets exactly one owner.
 */
export function assignCoPartitioned<M extends CoPartitionMember, P extends TopicPartition>(
  members: readonly M[],
  partitions: readonly P[],
): Map<M, P[]> {
  const result = new Map<M, P[]>(members.map((m) => [m, []]));
  if (members.length === 0) return result;
  const sorted = [...partitions].sort((a, b) =>
    a.partition === b.partition ? (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0) : a.partition - b.partition,
  );
  for (const tp of sorted) {
    const first = tp.partition % members.length;
    for (let tried = 0; tried < members.length; tried++) {
      const member = members[(first + tried) % members.length];
      if (member.topics.includes(tp.topic)) {
        result.get(member)!.push(tp);
        break;
      }
    }
  }
  return result;
}
