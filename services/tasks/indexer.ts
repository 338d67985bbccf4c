/**
 * The indexer: its own consumer group on the `tasks` topic, keeping the search index in step with the events.
 * It dispatches by event type through a map of handlers (the original's suggestion instead of a switch) and
 * applies an event only when its version is newer than what the index holds, so redeliveries, the relay's
 * duplicates after a crash and replays from a dead-letter topic are harmless. An event that cannot be applied as
 * it is (not JSON, unknown type, a malformed task, no version header, a key that is not its task's id) is
 * dead-lettered to `<topic>.<group>.dlq` at once rather than committed past; an index that is down is retried.
 */
import type { Logger } from 'pino';
import type { Broker } from '#herald/broker';
import { HeraldError } from '#herald';
import type { Metrics } from '#herald';
import { OUTBOX_HEADERS } from '#herald/outbox';
import { type Message, Router } from '#herald/runtime';
import { EVENT_TYPES, type TaskEvent, type TaskEventType, taskEventCodec } from './events.ts';
import type { TaskIndex } from './search/task-index.ts';

/** Applies one event of its type at `version`; resolves whether the index changed. */
export type EventHandlers = {
  [K in TaskEventType]: (event: Extract<TaskEvent, { type: K }>, version: number) => Promise<boolean>;
};

/** The handlers by event type. */
export function eventHandlers(index: TaskIndex): EventHandlers {
  return {
    [EVENT_TYPES.created]: (event, version) => index.put(event.value, version),
    [EVENT_TYPES.updated]: (event, version) => index.put(event.value, version),
    [EVENT_TYPES.deleted]: (event, version) => index.remove(event.value.id, version),
  };
}

/** Runs the handler of the event's type. */
export function dispatch(handlers: EventHandlers, event: TaskEvent, version: number): Promise<boolean> {
  const handler = handlers[event.type] as (event: TaskEvent, version: number) => Promise<boolean>;
  return handler(event, version);
}

export interface IndexerOptions {
  broker: Broker;
  logger: Logger;
  metrics?: Metrics;
  index: TaskIndex;
  topic: string;
  group: string;
  /** Events of one partition applied at once (different tasks; one task's strictly in order). */
  concurrency: number;
}

/** The version header as a positive integer. @throws HeraldError `HERALD_DECODE_FAILED` (dead-lettered). */
export function versionOf(message: Pick<Message, 'headers'>): number {
  const raw = message.headers[OUTBOX_HEADERS.aggregateVersion];
  const version = Number(raw);
  if (raw === undefined || !Number.isSafeInteger(version) || version < 1) {
    throw new HeraldError('HERALD_DECODE_FAILED', `the ${OUTBOX_HEADERS.aggregateVersion} header is missing or not a positive integer`);
  }
  return version;
}

/** The indexer's router (a lifecycle component). */
export function indexerRouter(options: IndexerOptions): Router {
  const handlers = eventHandlers(options.index);
  const router = new Router({
    broker: options.broker,
    logger: options.logger,
    metrics: options.metrics,
    name: 'tasks-indexer',
    // An index that is down holds the partition back for up to ten minutes before an event is dead-lettered.
    retry: { maxAttempts: 1_000, maxElapsedMs: 600_000, initialDelayMs: 100, maxDelayMs: 10_000 },
  });
  router.handle<TaskEvent>(
    options.topic,
    options.group,
    async (message) => {
      const version = versionOf(message);
      const event = message.value;
      const id = event.value.id;
      if (message.key !== id) {
        throw new HeraldError('HERALD_DECODE_FAILED', `the record key ${message.key} is not the task id ${id}`);
      }
      const applied = await dispatch(handlers, event, version);
      message.logger.debug({ type: event.type, id, version, applied }, applied ? 'indexed' : 'stale event skipped');
    },
    { codec: taskEventCodec, concurrency: options.concurrency },
  );
  return router;
}
