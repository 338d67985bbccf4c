/**
 * The web console at `/console`: server-rendered pages over the same {@link AdminApi} as `/admin` and the CLI, so
 * the three cannot drift apart. This first part is the broker view — topics with their partitions and offsets, a
 * message browser (newest first, or from an offset, a time or a cursor, by partition), one message with its headers
 * and its value pretty-printed, consumer groups with their lag kept current. Same access rule as `/admin`.
 */
import type { FastifyInstance } from 'fastify';
import type { AdminApi } from '../admin/api.ts';
import { adminOnly, type GuardSettings } from '../http/guard.ts';
import { registerGroupPages } from './groups.ts';
import { registerTopicPages } from './topics.ts';

export function registerConsole(app: FastifyInstance, admin: AdminApi, settings: GuardSettings): void {
  app.register(
    async (console) => {
      console.addHook('onRequest', adminOnly(settings));
      console.get('', { schema: { summary: 'the web console' } }, async (_request, reply) => reply.redirect('/console/topics'));
      registerTopicPages(console, admin);
      registerGroupPages(console, admin);
    },
    { prefix: '/console' },
  );
}
