import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/registry.ts';

/** One readiness check: resolves when the part is ready, rejects with the reason otherwise. */
export type ReadinessCheck = () => Promise<void>;

/**
 * `GET /healthz`: the process is alive and serving. `GET /readyz`: every check passes (broker reachable, services
 * started) — 503 with the failing checks otherwise. `GET /metrics`: Prometheus text.
 */
export function registerHealthRoutes(app: FastifyInstance, checks: Record<string, ReadinessCheck>, metrics: Metrics) {
  app.get('/healthz', { schema: { summary: 'the process is alive' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'ready: broker reachable, services started (503 naming what is not)' } }, async (_request, reply) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          return [name, { ok: true }] as const;
        } catch (err) {
          return [name, { ok: false, error: (err as Error).message }] as const;
        }
      }),
    );
    const ready = results.every(([, r]) => r.ok);
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics' } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
