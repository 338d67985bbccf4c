import type { ClusterMetadata, Connection, ConnectionPool, Consumer, Producer } from '@platformatic/kafka';
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
