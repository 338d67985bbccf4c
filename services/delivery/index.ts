import path from 'node:path';
import { type Component, creates, localOnly, type ServiceContext, type ServiceDefinition } from '#herald';
import { deadLetterTopicName, Router } from '#herald/runtime';
import { registerDeliveryApi } from './api.ts';
import { type DeliveryConfig, deliveryConfigSchema } from './config.ts';
import { deliveryMetrics } from './metrics.ts';
import { registerMockDestinations } from './mocks.ts';
import { PostingThread } from './posting/posting-thread.ts';
import { registerStages } from './stages/register.ts';
import { StatusStore } from './status/store.ts';
import { deliveryTopics, topicSpecs } from './topics.ts';
import { resolveTransforms, type TransformRegistry } from './transforms.ts';

export type { DeliveryConfig, DestinationConfig } from './config.ts';
export type { SourceEvent } from './event.ts';
export type { Transform, Transformed, TransformRegistry } from './transforms.ts';

export interface DeliveryServiceOptions {
  /** Transforms destinations may name (`transform: "<name>"`), besides `default`. */
  transforms?: TransformRegistry;
}

/**
 * The delivery service (SPEC 2.2): `POST /publish` into a source topic keyed by userId, a transformer and a sender
 * per configured destination — each in its own consumer group on the handler runtime, so per-user order, retries
 * with backoff and jitter, dead letters and replay come from it — and `GET /events/{id}` from a status store.
 * See services/delivery/README.md.
 */
export function createDeliveryService(options: DeliveryServiceOptions = {}): ServiceDefinition<DeliveryConfig> {
  return {
    name: 'delivery',
    summary: 'ordered, at-least-once event delivery to HTTP destinations (POST /publish)',
    configSchema: deliveryConfigSchema,
    topology: (config) => {
      const topics = deliveryTopics(config.topicPrefix);
      return topicSpecs(topics, config.destinations.map((d) => d.id), config.partitions).map((spec) =>
        creates('delivery', spec.name === topics.source ? 'input' : 'internal', spec),
      );
    },
    create: (context) => createComponents(context, options),
  };
}

/** The service with the default transform only. */
export const deliveryService: ServiceDefinition<DeliveryConfig> = createDeliveryService();

function createComponents(context: ServiceContext<DeliveryConfig>, options: DeliveryServiceOptions): Component[] {
  const { config, broker, logger, app, platform } = context;
  const topics = deliveryTopics(config.topicPrefix);
  const transforms = resolveTransforms(config.destinations, options.transforms);
  const status = new StatusStore({
    file: path.join(platform.dataDir, 'delivery', `${config.topicPrefix}.status.db`),
    destinations: config.destinations.map((d) => d.id),
    retentionMs: config.statusRetentionMs,
    logger,
  });
  const producer = broker.producer();
  const metrics = deliveryMetrics(
    context.metrics.registry,
    config.destinations.map((d) => ({ id: d.id, groups: [topics.transformGroup(d.id), topics.sendGroup(d.id)] })),
  );
  if (config.mocks.length > 0) {
    app.register(async (local) => {
      local.addHook('onRequest', localOnly(platform.http));
      registerMockDestinations(local, config.mocks);
    });
  }
  registerDeliveryApi(app, {
    producer,
    topic: topics.source,
    status,
    logger,
    batchMaxEvents: config.batchMaxEvents,
    maxPayloadBytes: config.maxPayloadBytes,
    publishTimeoutMs: config.publishTimeoutMs,
    onAccepted: (count) => metrics.accepted.inc(count),
    destinations: config.destinations.map((d) => ({
      id: d.id,
      topic: topics.destination(d.id),
      groups: { transform: topics.transformGroup(d.id), send: topics.sendGroup(d.id) },
      deadLetterTopics: {
        transform: deadLetterTopicName(topics.source, topics.transformGroup(d.id)),
        send: deadLetterTopicName(topics.destination(d.id), topics.sendGroup(d.id)),
      },
    })),
  });

  const router = new Router({ broker, logger, name: 'delivery', metrics: context.metrics });
  const posting = new PostingThread(logger);
  const deps = { router, topics, status, metrics, posting, app, host: platform.http.host };
  for (const d of config.destinations) registerStages(d, transforms.get(d.id)!, deps);

  // Stopped in reverse: the API's producer (HTTP has stopped already), then the stages drain, then the
  // destinations' sockets close with the posting thread, then the status store.
  return [
    status,
    posting,
    router,
    { name: 'delivery-api-producer', start: async () => {}, stop: () => producer.close() },
  ];
}
