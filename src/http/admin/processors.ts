import type { FastifyInstance } from 'fastify';
import type { ProcessorRegistry } from '../../processor/registry.ts';

/**
 * `GET /admin/processors`: the processors of this process (group, guarantee, owned partitions with table sizes and
 * restore state, standby partitions) and its views (table, caught up, lag, per-partition positions).
 */
export function registerProcessorRoutes(app: FastifyInstance, registry: ProcessorRegistry): void {
  app.get('/processors', async () => registry.describe());
}
