import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../../admin/api.ts';

/**
 * `GET /admin/processors`: the processors of this process (group, guarantee, owned partitions with table sizes,
 * input lag and restore state, standby partitions) and its views (table, caught up, lag, per-partition positions).
 */
export function registerProcessorRoutes(app: FastifyInstance, admin: AdminApi): void {
  app.get('/processors', async () => admin.processors());
}
