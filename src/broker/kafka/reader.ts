/**
 * `Admin.read`: records of one partition from an offset, without joining a group — a library `Consumer` that never
 * joins, used only for its Fetch and ListOffsets requests. Reads run one at a time: the library keeps one
 * incremental fetch session per broker, which concurrent requests would invalidate for each other.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type ConnectionPool, Consumer, FetchIsolationLevels, ListOffsetTimestamps, protocolErrorsCodesById } from '@platformatic/kafka';
import { HeraldError } from '../../errors.ts';
import type { BrokerRecord, RecordPosition } from '../port.ts';
import { toHeraldError } from './errors.ts';
import { checkPartition, topicOf, topicsMetadata } from './metadata.ts';
import { childClientId, type KafkaSettings } from './options.ts';
import { checkPosition, checkReadLimit } from '../rules.ts';
import { decodeBatches } from './records.ts';
import { abortedTransactionsOf, unfilteredFetches } from './unfiltered-fetch.ts';

const PARTITION_MAX_BYTES = 1_048_576;
/** Fetches that answered nothing below the end, asked again before the read fails. */
const EMPTY_RETRIES = 5;
/** Pause before the first re-ask, growing linearly (50, 100, … 250 ms: 750 ms in all). */
const EMPTY_RETRY_DELAY_MS = 50;

export class PartitionReader {
  readonly #client: Consumer;
  /** The client's connections, its Fetch responses left for `decodeBatches` to resolve aborted transactions. */
  readonly #pool: ConnectionPool;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(settings: KafkaSettings) {
    this.#client = new Consumer({
      ...settings.base,
      clientId: childClientId(settings, 'reader'),
      // Required by the library's constructor; this consumer never joins it.
      groupId: childClientId(settings, 'reader'),
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    this.#pool = unfilteredFetches(this.#client.connections);
  }

  /**
   * Up to `limit` records of the partition from `offset` (clamped to the earliest stored); `[]` past the end.
   * @throws HeraldError `HERALD_BROKER_UNAVAILABLE` when Kafka keeps answering without records below the end.
   */
  read(position: RecordPosition, limit: number): Promise<BrokerRecord[]> {
    try {
      checkPosition(position, 'read');
      checkReadLimit(limit);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.#queue.then(() => this.#read(position, limit));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #read({ topic, partition, offset }: RecordPosition, limit: number): Promise<BrokerRecord[]> {
    const metadata = await topicsMetadata(this.#client, [topic], true);
    checkPartition(metadata, topic, partition);
    const { id: topicId, partitions } = topicOf(metadata, topic);
    try {
      const [earliest, latest] = await Promise.all(
        [ListOffsetTimestamps.EARLIEST, ListOffsetTimestamps.LATEST].map(async (timestamp) => {
          const offsets = await this.#client.listOffsets({
            topics: [topic],
            partitions: { [topic]: [partition] },
            timestamp,
          });
          const found = offsets.get(topic)?.[partition];
          // An answer without the partition is not an empty partition: taking it for 0 read a topic as empty.
          if (found === undefined) throw new HeraldError('HERALD_BROKER_UNAVAILABLE', `no offsets for ${topic}/${partition} in the answer`);
          return Number(found);
        }),
      );
      const out: BrokerRecord[] = [];
      let from = Math.max(offset, earliest);
      let empty = 0;
      while (out.length < limit && from < latest) {
        // Kafka has answered OFFSET_OUT_OF_RANGE for an offset between the partition's earliest and latest just
        // listed (a CI run's wallet test, on a fresh topic): that answer is retried like an empty one.
        const response = await this.#client.fetch({
          node: partitions[partition].leader,
          topics: [
            {
              topicId,
              partitions: [
                {
                  partition,
                  fetchOffset: BigInt(from),
                  partitionMaxBytes: PARTITION_MAX_BYTES,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                },
              ],
            },
          ],
          minBytes: 1,
          maxWaitTime: 100,
          // After an empty answer: a pool of its own, so the library starts a new fetch session (a full fetch).
          connectionPool: empty === 0 ? this.#pool : unfilteredFetches(this.#client.connections),
        }).catch((err: unknown) => {
          if (toHeraldError(err, '').code === 'HERALD_OFFSET_OUT_OF_RANGE') return undefined;
          throw err;
        });
        const answer = response?.responses
          .find((t) => t.topicId === topicId)
          ?.partitions.find((p) => p.partitionIndex === partition);
        const batches = answer?.errorCode === 0 ? answer.records : undefined;
        const next =
          batches && batches.length > 0
            ? decodeBatches(topic, partition, batches, from, out, limit, abortedTransactionsOf(answer!) ?? null)
            : from;
        if (next <= from) {
          // Below the end an answer can still come without the partition's records (seen under an incremental
          // fetch session, and as a partition error while leadership or metadata settles): ask again, after a
          // pause and with fresh metadata, before giving up. Giving up is an error, never an early `[]`: callers
          // take `[]` for the end of the partition (a CI run once read a whole table as empty that way). An answer
          // whose batches hold nothing at or after `from` counts the same.
          if (++empty > EMPTY_RETRIES) {
            const why = response === undefined ? 'offset out of range' : answer === undefined ? 'no answer for the partition' : answer.errorCode !== 0 ? protocolErrorsCodesById[answer.errorCode] ?? `error ${answer.errorCode}` : 'no records';
            throw new HeraldError('HERALD_BROKER_UNAVAILABLE', `read ${topic}/${partition}@${from}: ${why} below the end (${latest}), ${EMPTY_RETRIES + 1} times`);
          }
          this.#client.clearMetadata();
          await sleep(EMPTY_RETRY_DELAY_MS * empty);
          continue;
        }
        empty = 0;
        from = next;
      }
      return out;
    } catch (err) {
      this.#client.clearMetadata();
      throw toHeraldError(err, `read ${topic}/${partition}@${offset}`);
    }
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
