import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { HeraldError } from '#herald';
import { Semaphore } from '#herald/kit';
import type { Message, Router } from '#herald/runtime';
import type { DestinationConfig } from '../config.ts';
import { eventMeta } from '../event.ts';
import { stageOptions, UNTIL_DONE } from './options.ts';
import { attemptOutcome, type DeliveryMetrics } from '../metrics.ts';
import type { PostingThread } from '../posting/posting-thread.ts';
import { RateLimiter } from '../rate.ts';
import { sendHandler } from './sender.ts';
import type { StatusStore } from '../status/store.ts';
import type { DeliveryTopics } from '../topics.ts';
import type { Transform } from '../transforms.ts';
import { transformHandler } from './transformer.ts';

/** Records of one partition not yet done at which a stage pauses that partition (bounds memory per partition). */
export const MAX_IN_FLIGHT_PER_PARTITION = 2_000;

/** Transforms of one partition running at once: cheap, so many users' events are written concurrently. */
const TRANSFORM_CONCURRENCY = 256;

export interface StageDeps {
  router: Router;
  topics: DeliveryTopics;
  status: StatusStore;
  metrics: DeliveryMetrics;
  /** Where the senders' HTTP requests are made. */
  posting: PostingThread;
  /** Herald's own app and bind host, for destinations served by Herald itself (the mocks). */
  app: FastifyInstance;
  host: string;
}

/** Registers one destination's transformer and sender on the router, each in its own consumer group. */
export function registerStages(destination: DestinationConfig, transform: Transform, deps: StageDeps): void {
  const { router, topics, status, metrics } = deps;
  const markDead = (stage: string) => async (message: Message<Buffer | null>, error: unknown) => {
    let meta: ReturnType<typeof eventMeta>;
    try {
      meta = eventMeta(message.record);
    } catch {
      return; // not a pipeline record (no event id): nothing to show a status for
    }
    metrics.deadLettered.inc({ destination: destination.id });
    const reason = `${stage}: ${error instanceof Error ? error.message : String(error)}`;
    await status.dead(meta, destination.id, reason).catch((err: unknown) => {
      message.logger.error({ err }, 'recording a dead letter in the status store failed');
    });
  };

  router.handle(
    topics.source,
    topics.transformGroup(destination.id),
    transformHandler(destination, topics.destination(destination.id), transform, (message) =>
      status.filtered(eventMeta(message.record), destination.id),
    ),
    {
      ...stageOptions(UNTIL_DONE, markDead('transform'), {
        concurrency: TRANSFORM_CONCURRENCY,
        maxInFlight: MAX_IN_FLIGHT_PER_PARTITION,
      }),
      outputs: [topics.destination(destination.id)],
    },
  );

  // Destinations on Herald's own server get no keep-alive: a connection kept busy would hold its shutdown open.
  const onSelf = destination.url.startsWith('/');
  // Counted here and added to the counters when they are read (see `addFlush`).
  const counts = { delivered: 0, attempts: new Map<string, number>() };
  metrics.addFlush(() => {
    if (counts.delivered > 0) metrics.delivered.inc({ destination: destination.id }, counts.delivered);
    for (const [outcome, n] of counts.attempts) metrics.attempts.inc({ destination: destination.id, outcome }, n);
    counts.delivered = 0;
    counts.attempts.clear();
  });
  const latency = metrics.latency.labels({ destination: destination.id });
  const responseTime = metrics.responseTime.labels({ destination: destination.id });
  const client = deps.posting.poster({
    maxSockets: destination.concurrency,
    timeoutMs: destination.timeoutMs,
    keepAlive: !onSelf,
  });
  router.handle(
    topics.destination(destination.id),
    topics.sendGroup(destination.id),
    sendHandler({
      destination,
      status,
      client,
      slots: new Semaphore(destination.concurrency),
      limiter: destination.ratePerSec === undefined ? undefined : new RateLimiter(destination.ratePerSec),
      url: urlOf(destination, deps.app, deps.host),
      onDelivered: (latencyMs) => {
        counts.delivered += 1;
        latency.observe(latencyMs / 1000);
      },
      onAttempt: (attempt, ms) => {
        const outcome = attemptOutcome(attempt);
        counts.attempts.set(outcome, (counts.attempts.get(outcome) ?? 0) + 1);
        if ('status' in attempt) responseTime.observe(ms / 1000);
      },
    }),
    stageOptions(retryPolicyOf(destination), markDead('delivery'), {
      // A partition may use the destination's whole concurrency; the semaphore caps the destination overall.
      concurrency: destination.concurrency,
      maxInFlight: MAX_IN_FLIGHT_PER_PARTITION,
    }),
  );
}

/** The runtime's retry policy from a destination's settings: doubling, half of each delay jittered. */
export function retryPolicyOf(destination: DestinationConfig) {
  return {
    maxAttempts: destination.maxAttempts,
    maxElapsedMs: destination.maxAgeMs,
    initialDelayMs: destination.backoff.initialMs,
    maxDelayMs: destination.backoff.maxMs,
    multiplier: 2,
    jitter: 0.5,
  };
}

/** The absolute URL of a destination; a path is on Herald's own HTTP server, known once it listens. */
function urlOf(destination: DestinationConfig, app: FastifyInstance, host: string): () => Promise<string> {
  const { url } = destination;
  if (!url.startsWith('/')) return async () => url;
  return async () => {
    const address = app.server.address() as AddressInfo | null;
    if (address === null || typeof address !== 'object') {
      throw new HeraldError('HERALD_DESTINATION_FAILED', `${destination.id}: Herald's HTTP server is not listening`);
    }
    const ip = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : address.address;
    return `http://${ip.includes(':') ? `[${ip}]` : ip}:${address.port}${url}`;
  };
}
