import { failureLogFields, isHeraldError } from '../../errors.ts';
import { spanEvent } from '../../telemetry/with-span.ts';
import { creates } from '../../topology/declaration.ts';
import { withBypass } from '../chain.ts';
import { deadLetterRecord } from '../dlq/envelope.ts';
import type { Message, Middleware } from '../message.ts';
import { deadLetterTopicName } from '../names.ts';

export interface DeadLetterOptions {
  /** The dead-letter topic of a topic and group. Default `<topic>.<group>.dlq`. */
  topicName?: (topic: string, group: string) => string;
  /** Partitions of the dead-letter topics it declares. Default 1 (dead letters are few; one partition keeps order). */
  partitions?: number;
  /**
   * Called once a record's dead letter is durable, with the error that sent it there (e.g. to show the record as
   * failed somewhere). The record is settled by then: a hook that throws is logged, and the record stays done.
   */
  onDeadLettered?: (message: Message<never>, error: unknown) => Promise<void> | void;
}

/**
 * Settles a record whose handling failed for good by publishing it to its dead-letter topic with the `herald.dlq.*`
 * envelope (see `dlq/envelope.ts`); the record then counts as done and the partition's commit moves past it. The
 * dead-letter topic is part of the router's declared topology (see `topics`), created before anything runs. The publish must be durable before that: if it fails, the error propagates and the record
 * stays not done (the runtime tries again later).
 *
 * Not a verdict, so not dead-lettered: `HERALD_SHUTTING_DOWN` (the partition was revoked or the router stops while
 * the record waited to retry) and any failure after the record's signal was aborted.
 */
export function deadLetter<T = unknown>(options: DeadLetterOptions = {}): Middleware<T> {
  const nameOf = options.topicName ?? deadLetterTopicName;
  const partitions = options.partitions ?? 1;
  const middleware: Middleware<T> = (next) => async (message) => {
    try {
      await next(message);
    } catch (err) {
      if (isHeraldError(err, 'HERALD_SHUTTING_DOWN') || message.signal.aborted) throw err;
      const topic = nameOf(message.topic, message.group);
      await message.runtime.producer.send([deadLetterRecord(message, err, topic)]);
      message.handling.deadLettered = true;
      spanEvent('dead_lettered', { 'herald.dlq.topic': topic, 'herald.attempts': message.handling.attempts });
      message.logger.error(
        { ...failureLogFields(err), deadLetterTopic: topic, attempts: message.handling.attempts },
        'dead-lettered',
      );
      try {
        await options.onDeadLettered?.(message as Message<never>, err);
      } catch (hookError) {
        message.logger.error({ err: hookError }, 'onDeadLettered failed (the record stays dead-lettered)');
      }
    }
  };
  // Declared with the router's topology: created before anything runs, so publishing never waits for a creation.
  middleware.topics = ({ topic, group, router }) => [
    creates(`router ${router}, group ${group}`, 'dead-letter', { name: nameOf(topic, group), partitions }),
  ];
  // Acts only on failure: a record that succeeds needs no wrapper.
  return withBypass(middleware, {});
}
