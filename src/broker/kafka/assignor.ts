/**
 * The partition assignor the group leader runs (classic protocol, `roundrobin`). The library's own round-robin
 * assignor deals the leader's topics out to every member, whatever each subscribed to; this one honours each
 * member's subscription, as Kafka's Java `RoundRobinAssignor` does: every partition of every subscribed topic,
 * sorted by topic and partition, goes to the next member in member-id order that subscribes to its topic.
 */
import type {
  ClusterMetadata,
  ExtendedGroupProtocolSubscription,
  GroupPartitionsAssignments,
} from '@platformatic/kafka';

export function roundRobinBySubscription(
  _leader: string,
  members: Map<string, ExtendedGroupProtocolSubscription>,
  _leaderTopics: Set<string>,
  metadata: ClusterMetadata,
): GroupPartitionsAssignments[] {
  const memberIds = [...members.keys()].sort();
  const subscriptions = new Map(memberIds.map((id) => [id, new Set(members.get(id)?.topics ?? [])]));
  const assignments = new Map<string, GroupPartitionsAssignments>(
    memberIds.map((memberId) => [memberId, { memberId, assignments: new Map() }]),
  );
  const topics = [...new Set(memberIds.flatMap((id) => [...(subscriptions.get(id) ?? [])]))].sort();
  let next = 0;
  for (const topic of topics) {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    for (let partition = 0; partition < count; partition++) {
      // Some member subscribes to `topic` (it is in the union), so this finds one within a lap.
      while (subscriptions.get(memberIds[next % memberIds.length])?.has(topic) !== true) next++;
      const memberId = memberIds[next % memberIds.length];
      next++;
      const member = assignments.get(memberId)!.assignments;
      const entry = member.get(topic) ?? { topic, partitions: [] };
      entry.partitions.push(partition);
      member.set(topic, entry);
    }
  }
  return [...assignments.values()];
}
