/** A member as the assignor sees it: an identity and the topics it subscribes to. */
export interface AssignableMember {
  readonly memberId: string;
  readonly topics: readonly string[];
}

/** A partition to hand out. */
export interface AssignablePartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * Round-robin assignment (Kafka's `RoundRobinAssignor`): partitions sorted by topic then number are dealt to the
 * members in the given order, skipping members that do not subscribe to the partition's topic. Deterministic:
 * the same members in the same order and the same partitions always give the same result. Every partition whose
 * topic has a subscriber gets exactly one owner.
 */
export function assignRoundRobin<M extends AssignableMember, P extends AssignablePartition>(
  members: readonly M[],
  partitions: readonly P[],
): Map<M, P[]> {
  const result = new Map<M, P[]>(members.map((m) => [m, []]));
  if (members.length === 0) return result;
  const sorted = [...partitions].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
  let cursor = 0;
  for (const partition of sorted) {
    for (let tried = 0; tried < members.length; tried++) {
      const member = members[cursor];
      cursor = (cursor + 1) % members.length;
      if (member.topics.includes(partition.topic)) {
        result.get(member)!.push(partition);
        break;
      }
    }
  }
  return result;
}
