import type { Logger } from 'pino';
import type { Broker } from '../broker/broker.ts';
import { brokerSpecFromConfig } from '../broker/from-config.ts';
import { createBroker } from '../broker/index.ts';
import { loadConfig } from '../config/load.ts';
import { type ConfigOf, type PlatformConfig, platformSchema, type Schema } from '../config/schema.ts';
import { registerAdminRoutes } from '../http/admin/routes.ts';
import { ProcessorRegistry } from '../processor/registry.ts';
import { createApp } from '../http/app.ts';
import { HttpServer } from '../http/server.ts';
import { createLogger } from '../log/logger.ts';
import { createMetrics } from '../metrics/registry.ts';
import { Lifecycle } from '../runtime/lifecycle.ts';
import type { ServiceDefinition } from '../runtime/service.ts';
import { installContextManager } from '../runtime/trace-context.ts';

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
}

/** The platform schema plus every service's section, keyed by service name. */
export function heraldSchema(services: ServiceDefinition[]): Schema {
  const sections = services.flatMap((s) => (s.configSchema ? [[s.name, s.configSchema] as const] : []));
  return { ...platformSchema, ...Object.fromEntries(sections) };
}

/**
 * Loads config, then builds and starts, in order: the log file, the broker, the services' components and the HTTP
 * server (so stopping runs the reverse: no new requests, drain, stop consumers, close the broker, flush logs).
 * @throws ConfigError before anything starts when the config is invalid.
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
  lifecycle.add({ name: 'log', start: async () => {}, stop: () => log.close() });

  const broker = await createBroker(brokerSpecFromConfig(config), logger);
  lifecycle.add({ name: 'broker', start: () => broker.start(), stop: () => broker.stop() });

  const metrics = createMetrics();
  const app = createApp({
    logger,
    metrics,
    bodyLimitBytes: config.http.bodyLimitBytes,
    readiness: {
      broker: () => broker.ping(),
      services: async () => {
        if (!lifecycle.ready) throw new Error('not started, or stopping');
      },
    },
  });
  const processors = new ProcessorRegistry();
  registerAdminRoutes(app, { broker, host: config.http.host, token: config.http.adminToken, processors });
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
    lifecycle.add(...components);
  }
  const http = new HttpServer(app, config.http.port, config.http.host);
  lifecycle.add(http);
  await lifecycle.start();
  return { config, logger, broker, lifecycle, url: http.url };
}
