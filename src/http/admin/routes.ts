import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../../admin/api.ts';
import { adminOnly } from '../guard.ts';
import { registerDlqRoutes } from './dlq.ts';
import { registerGroupRoutes } from './groups.ts';
import { registerMessageRoutes } from './messages.ts';
import { registerProcessorRoutes } from './processors.ts';
import { registerTopicRoutes } from './topics.ts';
import { registerTraceRoutes } from './traces.ts';
import type { RecentTraces } from '../../telemetry/recent-traces.ts';

export interface AdminOptions {
  /** What the routes serve (the platform's `BrokerAdminApi`). */
  admin: AdminApi;
  /** The HTTP bind address; without a token, admin is served only when this is a loopback address. */
  host: string;
  /** When non-empty, every admin request needs `Authorization: Bearer <token>`. */
  token: string;
  /** Aborted when the server stops: long-running actions (a replay) end early and answer what they did. */
  stopping?: AbortSignal;
  /** The traces this process keeps in memory, served at `/admin/traces`; `undefined` when none are kept. */
  traces?: RecentTraces;
}


/**
 * `/admin/…`: topics, messages and groups of whichever broker is configured. Guarded: with a token, bearer auth;
 * without one, answered only on a loopback bind (elsewhere every admin route is 403).
 */
export function registerAdminRoutes(app: FastifyInstance, options: AdminOptions): void {
  app.register(
    async (admin) => {
      admin.addHook('onRequest', adminOnly({ host: options.host, adminToken: options.token }));
      registerTopicRoutes(admin, options.admin);
      registerMessageRoutes(admin, options.admin);
      registerGroupRoutes(admin, options.admin);
      registerDlqRoutes(admin, options.admin, options.stopping);
      registerProcessorRoutes(admin, options.admin);
      registerTraceRoutes(admin, options.traces);
    },
    { prefix: '/admin' },
  );
}
