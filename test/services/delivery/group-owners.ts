import type { Admin } from '../../../src/broker/port.ts';

/** Who owns a topic's partitions in a consumer group, as the group coordinator describes it. */
export interface GroupOwners {
  /** Members holding at least one partition of the topic. */
  members: number;
  /** The topic's partitions some member holds. */
  partitions: Set<number>;
}

/** The members of `group` holding partitions of `topic`, and those partitions; none while the group is unknown. */
export async function groupOwners(admin: Admin, group: string, topic: string): Promise<GroupOwners> {
  const info = await admin.describeGroup(group).catch(() => undefined);
  const partitions = new Set<number>();
  let members = 0;
  for (const member of info?.members ?? []) {
    const held = member.assignment.filter((tp) => tp.topic === topic);
    if (held.length > 0) members += 1;
    for (const tp of held) partitions.add(tp.partition);
  }
  return { members, partitions };
}
