import { isHeraldError } from '../../errors.ts';
import { withBypass } from '../chain.ts';
import { deadLetterRecord } from '../dlq/envelope.ts';
import type { Message, Middleware } from '../message.ts';
import { deadLetterTopicName } from '../names.ts';

export interface DeadLetterOptions {
  /** The dead-letter topic of a topic and group. Default `<topic>.<group>.dlq`. */
  topicName?: (topic: string, group: string) => string;
  /** Partitions of a dead-letter topic created here. Default 1 (dead letters are few; one partition keeps order). */
  partitions?: number;
  /**
   * Called once a record's dead letter is durable, with the error that sent it there (e.g. to show the record as
   * failed somewhere). The record is settled by then: a hook that throws is logged, and the record stays done.
   */
  onDeadLettered?: (message: Message<never>, error: unknown) => Promise<void> | void;
}

/**
 * Settles a record whose handling failed for good by publishing it to its dead-letter topic (created if missing)
 * with the `herald.dlq.*` envelope (see `dlq/envelope.ts`); the record then counts as done and the partition's
 * commit moves past it. The publish must be durable before that: if it fails, the error propagates and the record
 * stays not done (the runtime tries again later).
 *
 * Not a verdict, so not dead-lettered: `HERALD_SHUTTING_DOWN` (the partition was revoked or the router stops while
 * the record waited to retry) and any failure after the record's signal was aborted.
 */
export function deadLetter<T = unknown>(options: DeadLetterOptions = {}): Middleware<T> {
  const nameOf = options.topicName ?? deadLetterTopicName;
  const partitions = options.partitions ?? 1;
  const ensured = new Map<string, Promise<void>>();
  const ensure = (admin: { ensureTopic(spec: { name: string; partitions: number }): Promise<void> }, name: string) => {
    let ready = ensured.get(name);
    if (ready === undefined) {
      ready = admin.ensureTopic({ name, partitions });
      ensured.set(name, ready);
      ready.catch(() => ensured.delete(name));
    }
    return ready;
  };
  const middleware: Middleware<T> = (next) => async (message) => {
    try {
      await next(message);
    } catch (err) {
      if (isHeraldError(err, 'HERALD_SHUTTING_DOWN') || message.signal.aborted) throw err;
      const topic = nameOf(message.topic, message.group);
      await ensure(message.runtime.broker.admin, topic);
      await message.runtime.producer.send([deadLetterRecord(message, err, topic)]);
      message.delivery.deadLettered = true;
      message.logger.error({ err, deadLetterTopic: topic, attempts: message.delivery.attempts }, 'dead-lettered');
      try {
        await options.onDeadLettered?.(message as Message<never>, err);
      } catch (hookError) {
        message.logger.error({ err: hookError }, 'onDeadLettered failed (the record stays dead-lettered)');
      }
    }
  };
  // Acts only on failure: a record that succeeds needs no wrapper.
  return withBypass(middleware, {});
}
