import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { BrokerAdminApi } from '../admin/broker-admin.ts';
import { replayMarksDeclaration } from '../admin/replay-marks.ts';
import { createBroker } from '../broker/create.ts';
import type { Broker } from '../broker/port.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import { type ConfigOf, type PlatformConfig, platformSchema, type Schema } from '../config/schema.ts';
import { registerConsole } from '../console/index.ts';
import { registerAdminRoutes } from '../http/admin/routes.ts';
import { ProcessorRegistry } from '../processor/registry.ts';
import { createApp } from '../http/app.ts';
import { HttpServer } from '../http/server.ts';
import { createLogger } from '../log/logger.ts';
import { createMetrics } from '../metrics/registry.ts';
import { tracingSettings } from '../telemetry/settings.ts';
import { tracedBroker } from '../telemetry/traced-broker.ts';
import { installContextManager } from '../telemetry/trace-context.ts';
import { Tracing } from '../telemetry/tracing.ts';
import type { TopicDeclaration } from '../topology/declaration.ts';
import { provisionTopology } from '../topology/provision.ts';
import { topologyProblems } from '../topology/validate.ts';
import { brokerSpecFromConfig } from './broker-from-config.ts';
import { Lifecycle } from './lifecycle.ts';
import { declaredTopicsCheck, freeSpaceCheck, watchWrites } from './readiness.ts';
import type { ServiceDefinition } from './service.ts';

export interface BootOptions {
  /** Services to run. */
  services: ServiceDefinition[];
  /** Every service that exists, so config sections of services not started still validate. */
  allServices?: ServiceDefinition[];
  file?: string;
  env?: Record<string, string | undefined>;
  flags?: Record<string, string>;
  /** Where stdout logs go (tests pass a sink). */
  logStream?: NodeJS.WritableStream;
}

/** A started Herald process. */
export interface Running {
  config: PlatformConfig & Record<string, unknown>;
  logger: Logger;
  broker: Broker;
  lifecycle: Lifecycle;
  /** Base URL of the HTTP server. */
  url: string;
  /**
   * Fastify's `inject`: a request answered without a socket, for tests — e.g. one from another machine's address
   * (`remoteAddress`), which a loopback server could not otherwise receive.
   */
  inject: FastifyInstance['inject'];
}

/** The platform schema plus every service's section, keyed by service name. */
export function heraldSchema(services: ServiceDefinition[]): Schema {
  const sections = services.flatMap((s) => (s.configSchema ? [[s.name, s.configSchema] as const] : []));
  return { ...platformSchema, ...Object.fromEntries(sections) };
}

/**
 * Loads config, builds every service and checks their declared topology (`ServiceDefinition.topology` and each
 * component's `topology()`), then starts, in order: the log file, the broker, the topology (every declared topic
 * created if missing), the services' components and the HTTP server (so stopping runs the reverse: no new
 * requests, drain, stop consumers, close the broker, flush logs).
 * @throws ConfigError before anything starts when the config or the topology is invalid.
 */
export async function boot(options: BootOptions): Promise<Running> {
  const config = loadConfig(heraldSchema(options.allServices ?? options.services), options) as ConfigOf<
    typeof platformSchema
  > &
    Record<string, unknown>;
  installContextManager();
  const log = await createLogger(config.log, options.logStream);
  const logger = log.logger;
  const lifecycle = new Lifecycle(logger);
  lifecycle.add({ name: 'log', stage: 'log', start: async () => {}, stop: () => log.close() });
  // Registered before anything makes a tracer, exported and unregistered after everything else has stopped.
  const tracing = new Tracing(tracingSettings(config.telemetry, options.env ?? process.env));
  tracing.start();
  lifecycle.add({ name: 'telemetry', stage: 'log', start: async () => {}, stop: () => tracing.stop() });

  const spec = brokerSpecFromConfig(config);
  const writes = watchWrites(tracedBroker(await createBroker(spec, logger)));
  const broker = writes.broker;
  lifecycle.add({ name: 'broker', stage: 'broker', start: () => broker.start(), stop: () => broker.stop() });

  // Every topic of every service, declared up front: checked below before anything starts, created right after
  // the broker starts and before any service component does.
  const declarations: TopicDeclaration[] = [replayMarksDeclaration()];
  const metrics = createMetrics();
  const pages = options.services.flatMap((service) => (service.page ? [service.page] : []));
  const app = createApp({
    logger,
    metrics,
    pages,
    bodyLimitBytes: config.http.bodyLimitBytes,
    maxJsonDepth: config.http.maxJsonDepth,
    accessLog: { mode: config.http.accessLog, slowMs: config.http.slowRequestMs },
    timeouts: {
      headersMs: config.http.headersTimeoutMs,
      requestMs: config.http.requestTimeoutMs,
      keepAliveMs: config.http.keepAliveTimeoutMs,
    },
    readiness: {
      broker: () => broker.ping(),
      services: async () => {
        if (!lifecycle.ready) throw new Error('not started, or stopping');
      },
      writes: writes.check,
      topics: declaredTopicsCheck(broker, declarations),
      ...(spec.kind === 'embedded' ? { storage: freeSpaceCheck(spec.dataDir) } : {}),
    },
  });
  // Made now, added last: it starts last and stops first, and its `stopping` signal reaches the routes.
  const http = new HttpServer(app, {
    port: config.http.port,
    host: config.http.host,
    shutdownGraceMs: config.http.shutdownGraceMs,
  });
  const processors = new ProcessorRegistry();
  const admin = new BrokerAdminApi(broker, { processors });
  lifecycle.add({ name: 'admin', start: async () => {}, stop: () => admin.close() });
  registerAdminRoutes(app, {
    admin,
    host: config.http.host,
    token: config.http.adminToken,
    stopping: http.stopping,
    traces: tracing.recent,
  });
  registerConsole(app, {
    admin,
    host: config.http.host,
    adminToken: config.http.adminToken,
    logger,
    stopping: http.stopping,
    traces: tracing.recent,
    metrics: metrics.registry,
    codecOf: (topic) => processors.codecOf(topic),
  });
  lifecycle.add({
    name: 'topology',
    start: async () => {
      const report = await provisionTopology(broker.admin, declarations);
      for (const { name, role, owner } of report.missing) {
        logger.warn({ topic: name, role, owner }, 'a declared topic does not exist and no service creates it');
      }
    },
    stop: async () => {},
  });
  for (const service of options.services) {
    const section = config[service.name];
    const components = await service.create({
      config: section,
      platform: config,
      broker,
      logger: logger.child({ service: service.name }),
      metrics,
      processors,
      app,
    });
    declarations.push(...(service.topology?.(section) ?? []));
    for (const component of components) declarations.push(...(component.topology?.() ?? []));
    lifecycle.add(...components);
  }
  const problems = topologyProblems(declarations);
  if (problems.length > 0) {
    await log.close();
    throw new ConfigError(problems.map((problem) => `topology: ${problem}`));
  }
  lifecycle.add(http);
  await lifecycle.start();
  return { config, logger, broker, lifecycle, url: http.url, inject: app.inject.bind(app) };
}
