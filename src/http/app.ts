import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { AccessLog, type AccessLogOptions, routeOf } from './access-log.ts';
import type { Logger } from 'pino';
import type { ErrorCode } from '../errors.ts';
import { newCorrelationId } from '../log/logger.ts';
import type { Metrics } from '../metrics/registry.ts';
import { sendError, statusOf } from './errors.ts';
import { type ReadinessCheck, registerHealthRoutes } from './health.ts';
import { registerOpenApi } from './openapi/describe.ts';
import { registerDocsPage, type ServicePage } from './openapi/docs-page.ts';
import { DEFAULT_MAX_JSON_DEPTH, limitJsonDepth } from './json-body.ts';
import { RouteMethods } from './route-methods.ts';
import { requestTracing } from './tracing.ts';
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
  /** Limits on slow clients; defaults are {@link DEFAULT_TIMEOUTS}. */
  timeouts?: Partial<HttpTimeouts>;
  /** Deepest nesting of objects and arrays a JSON body may have; default {@link DEFAULT_MAX_JSON_DEPTH}. */
  maxJsonDepth?: number;
  /** Which requests get a log line; default `summary` (see {@link AccessLog}). */
  accessLog?: Partial<AccessLogOptions>;
}

/** How long a client may take (ms). */
export interface HttpTimeouts {
  /** The request line and headers must arrive within this. */
  headersMs: number;
  /** The whole request, body included, must arrive within this; a slower one is answered 408 and cut. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 };

/** How often Node checks open connections against the header and request timeouts. */
const TIMEOUT_CHECK_MS = 1_000;

/** Longest path parameter (a topic name is up to 249 characters); longer answers 414. */
const MAX_PARAM_LENGTH = 1_000;

const CORRELATION_HEADER = 'x-request-id';

/**
 * The fastify app every service mounts its routes on: schema validation (strict bodies, coerced query/params),
 * body size and JSON depth limits, timeouts for slow clients, a correlation id per request (taken from
 * `x-request-id` or made up, echoed back, carried by `request.log`), a trace span per request, request logging
 * (failed and slow requests, and a summary; {@link AccessLog}), the error envelope on every
 * error — malformed requests and URLs, timeouts, 404 and 405 included — a request-duration histogram,
 * health/ready/metrics, and `/openapi.json` describing every route registered on it (with `/docs` rendering it and
 * `/` linking both).
 */
export function createApp(options: AppOptions): FastifyInstance {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const accessLog = new AccessLog({ ...options.accessLog, requestIdLogLabel: 'correlationId' });
  const app = fastify({
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, timeouts.headersMs),
    },
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: CORRELATION_HEADER,
    logController: accessLog,
    genReqId: () => newCorrelationId(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Refused before any hook ran (a malformed URL): the answer still carries the correlation id.
    frameworkErrors: (err, request, reply) => sendError(err, request, reply.header(CORRELATION_HEADER, request.id)),
    clientErrorHandler: answerClientError,
  });
  accessLog.start(app.log);
  app.addHook('onClose', async () => accessLog.stop());
  // First, so that every route added after it is described.
  registerOpenApi(app);
  const tracing = requestTracing();
  // One hook per stage doing every per-request step, each a callback rather than an async function: an async hook
  // costs a promise and a turn of the microtask queue, about 1 µs a request each (a bare fastify route: ~22.5 µs a
  // request; with six no-op async hooks ~28.5, with callbacks ~25.6).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(CORRELATION_HEADER, request.id);
    tracing.start(request);
    done();
  });
  app.addHook('preHandler', (request, _reply, done) => tracing.enter(request, done));
  app.addHook('onResponse', (request, reply, done) => {
    tracing.end(request, reply.statusCode);
    options.metrics.httpDuration.observe(
      { method: request.method, route: routeOf(request), status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    tracing.end(request, undefined);
    done();
  });
  const methods = new RouteMethods(app);
  app.setValidatorCompiler(validatorCompiler());
  app.setErrorHandler(sendError);
  limitJsonDepth(app, options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = methods.allowed(path);
    if (allowed.length > 0) {
      return reply
        .status(statusOf('HERALD_METHOD_NOT_ALLOWED'))
        .header('allow', allowed.join(', '))
        .send({
          error: {
            code: 'HERALD_METHOD_NOT_ALLOWED',
            message: `${request.method} is not accepted on ${path} (allowed: ${allowed.join(', ')})`,
          },
        });
    }
    return reply.status(404).send({
      error: { code: 'HERALD_ROUTE_NOT_FOUND', message: `no route for ${request.method} ${path}` },
    });
  });
  registerHealthRoutes(app, options.readiness ?? {}, options.metrics);
  registerDocsPage(app, options.pages ?? []);
  return app;
}

/**
 * Answers what Node refuses before fastify sees a request (a request or headers timeout, headers too large, a
 * malformed request) with the error envelope, then closes the connection.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message]: [ErrorCode, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['HERALD_REQUEST_TIMEOUT', 'the request did not arrive within the request timeout']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? ['HERALD_HEADERS_TOO_LARGE', 'the request line and headers are larger than allowed']
        : ['HERALD_VALIDATION_FAILED', 'the request is not valid HTTP/1.1'];
  const status = statusOf(code);
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
