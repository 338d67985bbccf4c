/**
 * The notify consumers on Herald's handler runtime: one consumer group per channel (`<groupPrefix>-email`,
 * `<groupPrefix>-sms`), each subscribed to the topics `notify.subscriptions` gives it. The runtime supplies the fault
 * tolerance: per-key ordering, retries with exponential backoff and jitter for retriable failures (server down,
 * timeouts, 4xx SMTP / 5xx HTTP answers), then — or at once for permanent failures — the dead-letter topic
 * `<topic>.<group>.dlq`, replayable through `/admin/dlq`. Offsets are committed only past records that are done, so
 * a crash redelivers what was in flight, and the dedupe middleware makes the redelivery a no-op for a request id the
 * group already sent.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Broker } from '#herald/broker';
import { dedupe, type Handler, type Message, type Middleware, Router } from '#herald/runtime';
import { CHANNELS, type Channel, type NotifyConfig } from './config.ts';
import { groupOf, type Notification, notificationCodec } from './topics.ts';

/** Sends one notification through a channel; the runtime calls it once per attempt. */
export interface NotificationSender {
  /** Resolves once the server accepted the message; `signal` aborts it where the channel can (HTTP). */
  send(n: Notification, signal: AbortSignal): Promise<void>;
}

/** The handler of a channel: send, then log the delivery. Errors carry their own `retriable` verdict. */
export function channelHandler(channel: Channel, sender: NotificationSender): Handler<Notification> {
  return async (message) => {
    const n = message.value;
    await sender.send(n, message.signal);
    message.logger.info({ channel, requestId: n.request_id, transactionId: n.transaction_id }, 'notification sent');
  };
}

/**
 * Runs records that carry the same id one after the other within this process. The dedupe middleware checks its
 * store before the handler and records the id after it; two records with one request id running side by side (they
 * may have different keys, so the key scheduler does not order them) would both pass the check. Placed outside
 * dedupe, this makes the second wait for the first and then find its id remembered.
 */
export function oneAtATimePerId<T>(idOf: (message: Message<T>) => string): Middleware<T> {
  const running = new Map<string, Promise<void>>();
  return (next) => async (message) => {
    const id = idOf(message);
    for (let ahead = running.get(id); ahead !== undefined; ahead = running.get(id)) await ahead.catch(() => {});
    const run = next(message);
    const settled = run.then(
      () => {},
      () => {},
    );
    running.set(id, settled);
    try {
      await run;
    } finally {
      if (running.get(id) === settled) running.delete(id);
    }
  };
}

/** What the notify router is built from; `senders` are the channel clients (mocks in unit tests). */
export interface NotifyRouterOptions {
  config: NotifyConfig;
  broker: Broker;
  logger: Logger;
  metrics: { registry: Registry };
  senders: Record<Channel, NotificationSender>;
}

/** The router serving both channels; a lifecycle component (start joins the groups, stop drains and commits). */
export function notifyRouter(options: NotifyRouterOptions): Router {
  const { config, broker, logger, metrics, senders } = options;
  const router = new Router({
    broker,
    logger,
    name: 'notify-consumers',
    metrics,
    commitIntervalMs: config.commitIntervalMs,
  });
  const requestId = (message: Message<Notification>) => message.value.request_id;
  for (const channel of CHANNELS) {
    const handler = channelHandler(channel, senders[channel]);
    // One instance per channel: the in-process ordering is per group, like the dedupe store.
    const middleware = [oneAtATimePerId(requestId), dedupe({ idOf: requestId })];
    for (const topic of config.subscriptions[channel]) {
      router.handle(topic, groupOf(config, channel), handler, {
        codec: notificationCodec,
        concurrency: config.concurrency,
        retry: { ...config.retry[channel] },
        middleware,
      });
    }
  }
  return router;
}
