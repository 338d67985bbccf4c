import fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { newCorrelationId } from '../log/logger.ts';
import type { Metrics } from '../metrics/registry.ts';
import { sendError } from './errors.ts';
import { type ReadinessCheck, registerHealthRoutes } from './health.ts';
import { registerOpenApi } from './openapi/describe.ts';
import { registerDocsPage, type ServicePage } from './openapi/docs-page.ts';
import { validatorCompiler } from './validation.ts';

export interface AppOptions {
  logger: Logger;
  metrics: Metrics;
  /** Largest accepted request body, bytes. */
  bodyLimitBytes: number;
  /** Named readiness checks for `/readyz`. */
  readiness?: Record<string, ReadinessCheck>;
  /** Pages for people that services serve, linked from `/` (read when `/` is asked, so services may add later). */
  pages?: readonly ServicePage[];
}

const CORRELATION_HEADER = 'x-request-id';

/**
 * The fastify app every service mounts its routes on: schema validation (strict bodies, coerced query/params),
 * body size limit, a correlation id per request (taken from `x-request-id` or made up, echoed back, carried by
 * `request.log`), request logging, the error envelope, a request-duration histogram, health/ready/metrics, and
 * `/openapi.json` describing every route registered on it (with `/docs` rendering it and `/` linking both).
 */
export function createApp(options: AppOptions): FastifyInstance {
  const app = fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: CORRELATION_HEADER,
    logController: new LogController({ requestIdLogLabel: 'correlationId' }),
    genReqId: () => newCorrelationId(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  // First, so that every route added after it is described.
  registerOpenApi(app);
  app.setValidatorCompiler(validatorCompiler());
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'HERALD_ROUTE_NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` },
    }),
  );
  app.addHook('onSend', async (request, reply) => {
    reply.header(CORRELATION_HEADER, request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    options.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  registerHealthRoutes(app, options.readiness ?? {}, options.metrics);
  registerDocsPage(app, options.pages ?? []);
  return app;
}
