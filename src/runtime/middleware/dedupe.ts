import { creates } from '../../topology/declaration.ts';
import { DedupeStore } from '../dedupe-store.ts';
import type { Message, Middleware, Registration } from '../message.ts';
import { dedupeTopicName } from '../names.ts';

export interface DedupeOptions<T> {
  /** The record's idempotency id (e.g. a request id in the value); `null`/`undefined` handles it without dedupe. */
  idOf(message: Message<T>): string | null | undefined;
  /** Ids remembered per group. Default 100,000. */
  capacity?: number;
}

/**
 * Skips a record whose id this consumer group has already processed — for handlers with external side effects
 * (send an email, charge a card) where at-least-once delivery must not mean twice. The id is remembered only after
 * the handler succeeded, durably (a compacted topic `__herald.dedupe.<group>`, see `DedupeStore`) before the record
 * counts as done; a record that failed or was dead-lettered is not remembered, so a replay runs it.
 *
 * The store is loaded when the router starts (before the group joins), and on first use elsewhere.
 * The window that remains: a crash after the side effect and before the id is stored runs the handler again.
 * Place it inside dead letter and retry (the router does, for handler middleware).
 */
export function dedupe<T = unknown>(options: DedupeOptions<T>): Middleware<T> {
  const capacity = options.capacity ?? 100_000;
  // One store per group and router, shared by every handler of the group; made (and loaded) by the router's start.
  const storeOf = ({ runtime, group }: Pick<Registration, 'runtime' | 'group'>) =>
    runtime.shared(
      `dedupe:${group}`,
      () =>
        new DedupeStore({
          admin: runtime.broker.admin,
          producer: runtime.producer,
          topic: dedupeTopicName(group),
          capacity,
        }),
    );
  const middleware: Middleware<T> = (next) => async (message) => {
    const id = options.idOf(message);
    if (id === null || id === undefined) return next(message);
    const store = await storeOf(message);
    if (store.has(id)) {
      message.handling.skipped = true;
      message.logger.info({ id }, 'already processed by this group; skipped');
      return;
    }
    await next(message);
    await store.remember(id);
  };
  // The compacted topic of ids, one partition, part of the router's declared topology.
  middleware.topics = ({ group, router }) => [
    creates(`router ${router}, group ${group}`, 'internal', {
      name: dedupeTopicName(group),
      partitions: 1,
      compacted: true,
    }),
  ];
  middleware.start = async (registration) => {
    await storeOf(registration);
  };
  return middleware;
}
