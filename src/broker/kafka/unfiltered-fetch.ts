/**
 * Fetch responses with their aborted-transaction lists kept from the library's own filter.
 *
 * Under read_committed, `@platformatic/kafka`'s `Consumer.fetch` drops the batches of every producer listed as
 * aborted from that transaction's first offset up to the producer's *last* abort marker in the response — so when
 * one producer id aborted a transaction, then committed others, then aborted again (what a transactional producer
 * restarted after a crash does: same producer id, new epochs), the committed transactions between the two markers
 * vanish from the response. Herald resolves aborted transactions itself (`decodeBatches`, marker by marker), so its
 * fetches go through a connection pool whose Fetch responses hand the list over aside ({@link abortedTransactionsOf})
 * and show the library none to filter with.
 */
import type { Connection, ConnectionPool, fetchV17 } from '@platformatic/kafka';

type PartitionResponse = fetchV17.FetchResponse['responses'][number]['partitions'][number];
type AbortedList = PartitionResponse['abortedTransactions'];

const FETCH_API_KEY = 1;

/** The lists taken out of Fetch responses that came through {@link unfilteredFetches}, by partition response. */
const aside = new WeakMap<object, AbortedList>();

/** The aborted transactions a Fetch response listed for a partition (whether or not it came through this pool). */
export function abortedTransactionsOf(partition: PartitionResponse): AbortedList {
  return aside.has(partition) ? aside.get(partition)! : partition.abortedTransactions;
}

function setAside(response: unknown): void {
  const responses = (response as Partial<fetchV17.FetchResponse> | undefined)?.responses;
  if (!Array.isArray(responses)) return;
  for (const topic of responses) {
    for (const partition of topic.partitions ?? []) {
      aside.set(partition, partition.abortedTransactions);
      partition.abortedTransactions = [];
    }
  }
}

type Parser = (correlationId: number, apiKey: number, apiVersion: number, reader: unknown) => unknown;

function wrapConnection(connection: Connection): Connection {
  return new Proxy(connection, {
    get(target, property) {
      if (property === 'send') {
        return (apiKey: number, apiVersion: number, create: unknown, parser: Parser, ...rest: unknown[]) => {
          const parse: Parser =
            apiKey !== FETCH_API_KEY
              ? parser
              : (...args) => {
                  try {
                    const response = parser(...args);
                    setAside(response);
                    return response;
                  } catch (err) {
                    // A partition-level error fails the parse but carries the whole response.
                    setAside((err as { response?: unknown }).response);
                    throw err;
                  }
                };
          return (target.send as (...a: unknown[]) => unknown)(apiKey, apiVersion, create, parse, ...rest);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `pool` as `Consumer.fetch`'s `connectionPool`: the same connections, Fetch responses unfiltered by the library. */
export function unfilteredFetches(pool: ConnectionPool): ConnectionPool {
  const wrapped = new WeakMap<Connection, Connection>();
  const wrap = (connection: Connection) => {
    let proxy = wrapped.get(connection);
    if (proxy === undefined) wrapped.set(connection, (proxy = wrapConnection(connection)));
    return proxy;
  };
  return new Proxy(pool, {
    get(target, property) {
      if (property === 'get') {
        const get = target.get.bind(target) as (b: unknown, cb?: (e: Error | null, c: Connection) => void) => Promise<Connection> | void;
        return (broker: unknown, callback?: (error: Error | null, connection: Connection) => void) => {
          if (callback === undefined) return (get(broker) as Promise<Connection>).then(wrap);
          get(broker, (error, connection) => callback(error, error || connection === undefined ? connection : wrap(connection)));
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
