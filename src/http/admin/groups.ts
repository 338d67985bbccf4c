import type { FastifyInstance } from 'fastify';
import type { Admin, Broker } from '../../broker/port.ts';

/** Each group with its member count and total lag, sorted by name. */
export async function summarizeGroups(admin: Admin): Promise<{ group: string; members: number; lag: number }[]> {
  const names = (await admin.listGroups()).sort();
  return Promise.all(
    names.map(async (group) => {
      const info = await admin.describeGroup(group);
      return { group, members: info.members.length, lag: info.offsets.reduce((sum, o) => sum + o.lag, 0) };
    }),
  );
}

/** `GET /admin/groups` (each group with its member count and total lag) and `GET /admin/groups/{group}`. */
export function registerGroupRoutes(app: FastifyInstance, broker: Broker): void {
  app.get('/groups', async () => summarizeGroups(broker.admin));

  app.get<{ Params: { group: string } }>(
    '/groups/:group',
    { schema: { params: { type: 'object', properties: { group: { type: 'string', minLength: 1 } } } } },
    async (request) => broker.admin.describeGroup(request.params.group),
  );
}
