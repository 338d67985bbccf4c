import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Broker } from '../broker/port.ts';
import type { PlatformConfig, Schema } from '../config/schema.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { ProcessorRegistry } from '../processor/registry.ts';
import type { TopicDeclaration } from '../topology/declaration.ts';
import type { Component } from './lifecycle.ts';

/** What a service gets when Herald boots it. */
export interface ServiceContext<C = unknown> {
  /** This service's own config section (the schema it declared, loaded). */
  config: C;
  platform: PlatformConfig;
  broker: Broker;
  logger: Logger;
  metrics: Metrics;
  /** Where the service's processors and views register, for `GET /admin/processors`. */
  processors: ProcessorRegistry;
  /** The shared HTTP app; register routes here (before start). */
  app: FastifyInstance;
}

/** One of Herald's systems (notify, delivery, …), bootable alone or with the others by `herald start`. */
export interface ServiceDefinition<C = unknown> {
  readonly name: string;
  /** One line for `herald --help`. */
  readonly summary: string;
  /** Its config section, loaded under the service's name (e.g. `notify.smtp.host`). */
  readonly configSchema?: Schema;
  /**
   * The topics the service owns (what its API writes, what its consumers read), declared up front: boot checks
   * them with every other declaration before anything starts and creates those missing before any component
   * starts. A router's own topics (its dead letters, dedupe) come from the router (`Component.topology`).
   */
  topology?(config: C): TopicDeclaration[];
  /** Registers routes and returns the long-running parts to start (consumers, relays), in start order. */
  create(context: ServiceContext<C>): Promise<Component[]> | Component[];
}
