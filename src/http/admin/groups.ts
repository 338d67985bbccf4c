import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../../admin/api.ts';

/** `GET /admin/groups` (each group with its member count and total lag) and `GET /admin/groups/{group}`. */
export function registerGroupRoutes(app: FastifyInstance, admin: AdminApi): void {
  app.get('/groups', async () => admin.listGroups());

  app.get<{ Params: { group: string } }>(
    '/groups/:group',
    { schema: { params: { type: 'object', properties: { group: { type: 'string', minLength: 1 } } } } },
    async (request) => admin.describeGroup(request.params.group),
  );
}
