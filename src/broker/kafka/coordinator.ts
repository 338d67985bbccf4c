import { type ClusterMetadata, type Connection, type ConnectionPool, type Consumer, findErrorBy, type Producer } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeraldError } from '../../errors.ts';

/** A connection from `pool` to the coordinator of `client`'s group (looked up when the client does not know it). */
export async function coordinatorConnection(client: Consumer, pool: ConnectionPool): Promise<Connection> {
  const coordinator = client.coordinatorId ?? (await client.findGroupCoordinator());
  const metadata: ClusterMetadata = await client.metadata({ topics: [] });
  const broker = metadata.brokers.get(coordinator);
  if (broker === undefined) {
    throw new HeraldError('HERALD_BROKER_UNAVAILABLE', `group coordinator ${coordinator} is not in the metadata`);
  }
  return pool.get(broker);
}

/**
 * A connection from `pool` to the coordinator of `producer`'s transactional id, which the library finds when a
 * transaction begins.
 */
export async function transactionCoordinatorConnection(producer: Producer<Buffer, Buffer, string, string>, pool: ConnectionPool): Promise<Connection> {
  const id = producer.coordinatorId;
  const broker = id === undefined ? undefined : (await producer.metadata({ topics: [] })).brokers.get(id);
  if (broker === undefined) throw new HeraldError('HERALD_BROKER_UNAVAILABLE', 'the transaction coordinator is unknown');
  return pool.get(broker);
}

/** Answers of a group coordinator that is being elected or loaded (a broker restarted or the partition moved). */
const MOVING = ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS'];

/** Whether `err` (or an error it wraps) says the group's coordinator is moving: asking again later will find it. */
export function isCoordinatorMoving(err: unknown): boolean {
  return err instanceof Error && MOVING.some((name) => findErrorBy(err, 'apiId', name) !== null);
}

/**
 * Runs `request`, again every `retryMs` while it fails because the group's coordinator is moving, for at most
 * `withinMs` in all; any other failure, or the last one, is thrown. `going()` false stops the retries (closed).
 */
export async function whileCoordinatorMoves<T>(
  request: () => Promise<T>,
  options: { withinMs: number; retryMs: number; going: () => boolean; onRetry?: (err: unknown) => void },
  wait: (ms: number) => Promise<unknown> = sleep,
): Promise<T> {
  const deadline = Date.now() + options.withinMs;
  for (;;) {
    try {
      return await request();
    } catch (err) {
      if (!isCoordinatorMoving(err) || !options.going() || Date.now() + options.retryMs > deadline) throw err;
      options.onRetry?.(err);
      await wait(options.retryMs);
    }
  }
}
