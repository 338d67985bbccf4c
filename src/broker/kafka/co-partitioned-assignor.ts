/**
 * The partition assignor the group leader runs for `assignment: 'co-partitioned'` (classic protocol, protocol name
 * {@link CO_PARTITIONED_PROTOCOL}): the port's shared rule (`../co-partitioned.ts`) over members in member-id order,
 * honouring each member's subscription.
 */
import type {
  ClusterMetadata,
  ExtendedGroupProtocolSubscription,
  GroupPartitionsAssignments,
} from '@platformatic/kafka';
import type { TopicPartition } from '../port.ts';
import { assignCoPartitioned } from '../co-partitioned.ts';

/** The protocol name members of a co-partitioned group announce (all members of a group must share one). */
export const CO_PARTITIONED_PROTOCOL = 'herald-co-partitioned';

export function coPartitionedBySubscription(
  _leader: string,
  members: Map<string, ExtendedGroupProtocolSubscription>,
  _leaderTopics: Set<string>,
  metadata: ClusterMetadata,
): GroupPartitionsAssignments[] {
  const list = [...members.keys()].sort().map((memberId) => ({ memberId, topics: members.get(memberId)?.topics ?? [] }));
  const partitions: TopicPartition[] = [];
  for (const topic of new Set(list.flatMap((m) => m.topics))) {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    for (let partition = 0; partition < count; partition++) partitions.push({ topic, partition });
  }
  const assigned = assignCoPartitioned(list, partitions);
  return list.map((member) => {
    const assignments = new Map<string, { topic: string; partitions: number[] }>();
    for (const { topic, partition } of assigned.get(member) ?? []) {
      const entry = assignments.get(topic) ?? { topic, partitions: [] };
      entry.partitions.push(partition);
      assignments.set(topic, entry);
    }
    return { memberId: member.memberId, assignments };
  });
}
