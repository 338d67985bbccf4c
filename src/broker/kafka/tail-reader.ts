/**
 * Herald's {@link TailReader} on Kafka: a library `Consumer` that never joins a group, used for its Metadata and
 * Fetch requests (read_committed), and the group consumer's {@link Fetcher}, which long-polls at the end of a
 * partition (Fetch `maxWaitTime`) instead of polling in a loop, drops aborted transactions and reports positions
 * that move past transaction markers without records (empty batches with a larger `next`).
 */
import { ConnectionPool, Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import type {
  BrokerRecord,
  RecordPosition,
  TailListener,
  TailReader,
  TailReaderOptions,
  TopicPartition,
} from '../port.ts';
import { checkList, checkPosition, checkTailListener, checkTopicPartition, resolveTailReaderOptions } from '../rules.ts';
import { describeError } from './errors.ts';
import { partitionKey } from './fetch-state.ts';
import { Fetcher } from './fetcher.ts';
import { checkPartition, topicsMetadata } from './metadata.ts';
import { childClientId, type KafkaSettings } from './options.ts';

const FETCH_MAX_WAIT_MS = 250;
const PARTITION_MAX_BYTES = 1_048_576;
const FETCH_MAX_BYTES = 52_428_800;

type State = 'new' | 'starting' | 'running' | 'closed';

export class KafkaTailReader implements TailReader {
  readonly #settings: KafkaSettings;
  readonly #log: Logger;
  readonly #onClosed: () => void;
  readonly #maxBatchSize: number;
  readonly #clientId: string;
  readonly #from: RecordPosition[];
  /** Topics of the assigned partitions: the fetcher's metadata requests read this list. */
  readonly #topics: string[] = [];
  readonly #assigned = new Map<string, TopicPartition>();
  #state: State = 'new';
  #client: Consumer | undefined;
  #pool: ConnectionPool | undefined;
  #fetcher: Fetcher | undefined;
  #closing: Promise<void> | undefined;

  /** Validates `options` (`HERALD_INVALID_ARGUMENT`); nothing connects before `start`. */
  constructor(settings: KafkaSettings, options: TailReaderOptions | undefined, log: Logger, onClosed: () => void) {
    const { from, maxBatchSize, clientId } = resolveTailReaderOptions(options);
    this.#settings = settings;
    this.#log = log;
    this.#onClosed = onClosed;
    this.#maxBatchSize = maxBatchSize;
    this.#clientId = clientId ?? childClientId(settings, 'tail');
    this.#from = from;
  }

  async start(listener: TailListener): Promise<void> {
    if (this.#state === 'closed') throw new HeraldError('HERALD_BROKER_CLOSED', 'the reader is closed');
    if (this.#state !== 'new') throw new HeraldError('HERALD_INVALID_ARGUMENT', 'start() was already called');
    checkTailListener(listener);
    this.#state = 'starting';
    const client = new Consumer({
      ...this.#settings.base,
      clientId: this.#clientId,
      // Required by the library's constructor; this consumer never joins it.
      groupId: this.#clientId,
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    this.#client = client;
    this.#pool = new ConnectionPool(this.#clientId, { ...this.#settings.base });
    this.#fetcher = new Fetcher(
      client,
      this.#pool,
      {
        topics: this.#topics,
        maxBatchSize: this.#maxBatchSize,
        maxWaitMs: FETCH_MAX_WAIT_MS,
        partitionMaxBytes: PARTITION_MAX_BYTES,
        maxBytes: FETCH_MAX_BYTES,
        readCommitted: true,
        reportSkips: true,
        deliver: (records, next, tp) => this.#deliver(listener, tp, records, next),
      },
      this.#log,
    );
    try {
      await this.#add(this.#from);
    } catch (err) {
      await this.close();
      throw err;
    }
    if (this.#state === 'starting') this.#state = 'running';
  }

  async assign(positions: RecordPosition[]): Promise<void> {
    if (this.#state === 'closed') throw new HeraldError('HERALD_BROKER_CLOSED', 'the reader is closed');
    checkList(positions, 'assign');
    for (const position of positions) checkPosition(position, 'assign');
    if (this.#fetcher === undefined) {
      this.#from.push(...positions);
      return;
    }
    await this.#add(positions);
  }

  async unassign(partitions: TopicPartition[]): Promise<void> {
    checkList(partitions, 'unassign');
    for (const tp of partitions) {
      checkTopicPartition(tp, 'unassign');
      this.#assigned.delete(partitionKey(tp.topic, tp.partition));
    }
    await this.#fetcher?.remove(partitions);
  }

  seek(position: RecordPosition): void {
    checkPosition(position, 'seek');
    if (!this.#assigned.has(partitionKey(position.topic, position.partition))) {
      throw new HeraldError('HERALD_NOT_ASSIGNED', `${position.topic}/${position.partition} is not read here`, {
        details: { topic: position.topic, partition: position.partition },
      });
    }
    this.#fetcher?.seek(position, position.offset);
  }

  positions(): RecordPosition[] {
    return [...this.#assigned.values()]
      .map((tp) => ({ ...tp, offset: this.#fetcher?.handedOver(tp) ?? 0 }))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = 'closed';
    try {
      await this.#fetcher?.stop();
      await this.#client?.close();
      await this.#pool?.close();
    } catch (err) {
      this.#log.warn({ err: describeError(err) }, 'kafka tail reader did not close cleanly');
    } finally {
      this.#onClosed();
    }
  }

  /** Checks the partitions exist, then reads them from the given offsets (replacing earlier positions). */
  async #add(positions: RecordPosition[]): Promise<void> {
    if (positions.length === 0) return;
    const topics = [...new Set(positions.map((p) => p.topic))];
    const metadata = await topicsMetadata(this.#client!, topics, true);
    for (const p of positions) checkPartition(metadata, p.topic, p.partition);
    if (this.#state === 'closed') throw new HeraldError('HERALD_BROKER_CLOSED', 'the reader is closed');
    for (const topic of topics) {
      if (!this.#topics.includes(topic)) this.#topics.push(topic);
    }
    for (const { topic, partition, offset } of positions) {
      this.#assigned.set(partitionKey(topic, partition), { topic, partition });
      this.#fetcher!.add({ topic, partition }, offset);
    }
  }

  async #deliver(listener: TailListener, tp: TopicPartition, records: BrokerRecord[], next: number): Promise<void> {
    await listener.onRecords({ topic: tp.topic, partition: tp.partition, records, next });
  }
}
