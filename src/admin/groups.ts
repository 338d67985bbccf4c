import type { Admin } from '../broker/port.ts';
import type { GroupSummary } from './api.ts';

/** Each group with its member count and total lag, sorted by name. */
export async function summarizeGroups(admin: Admin): Promise<GroupSummary[]> {
  const names = (await admin.listGroups()).sort();
  return Promise.all(
    names.map(async (group) => {
      const info = await admin.describeGroup(group);
      return { group, members: info.members.length, lag: info.offsets.reduce((sum, o) => sum + o.lag, 0) };
    }),
  );
}
