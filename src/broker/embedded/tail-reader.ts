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
import type { Notifier } from './notifier.ts';
import { PartitionFetcher } from './partition-fetcher.ts';
import type { PartitionLog } from './partition-log.ts';
import type { TopicRegistry } from './topics.ts';

/** What a reader needs from its broker; the getters throw the broker's lifecycle error when it is not running. */
export interface ReaderContext {
  topics(): TopicRegistry;
  notifier(): Notifier;
  logger: Logger | undefined;
  onClosed(reader: EmbeddedTailReader): void;
}

type State = 'new' | 'running' | 'closed';

/**
 * A {@link TailReader} of the embedded broker: one {@link PartitionFetcher} per assigned partition, like a group
 * member's, sleeping on the notifier at the end of the log. Everything stored is committed, so it reads the log as
 * it is; offsets removed by compaction or retention are reported through an empty batch with the new `next`.
 */
export class EmbeddedTailReader implements TailReader {
  readonly #context: ReaderContext;
  readonly #maxBatchSize: number;
  readonly #fetchers = new Map<PartitionLog, PartitionFetcher>();
  #from: RecordPosition[];
  #listener: TailListener | null = null;
  #state: State = 'new';
  #closing: Promise<void> | null = null;

  /** Validates `options` (`HERALD_INVALID_ARGUMENT`); the partitions are looked up by `start`. */
  constructor(options: TailReaderOptions | undefined, context: ReaderContext) {
    const { from, maxBatchSize } = resolveTailReaderOptions(options);
    this.#maxBatchSize = maxBatchSize;
    this.#context = context;
    this.#from = from;
  }

  async start(listener: TailListener): Promise<void> {
    if (this.#state === 'closed') throw new HeraldError('HERALD_BROKER_CLOSED', 'the reader is closed');
    if (this.#state !== 'new') throw new HeraldError('HERALD_INVALID_ARGUMENT', 'the reader is already started');
    checkTailListener(listener);
    this.#add(this.#from);
    this.#listener = listener;
    this.#state = 'running';
    for (const fetcher of this.#fetchers.values()) fetcher.start();
  }

  async assign(positions: RecordPosition[]): Promise<void> {
    if (this.#state === 'closed') throw new HeraldError('HERALD_BROKER_CLOSED', 'the reader is closed');
    const replaced = this.#add(positions);
    await Promise.all(replaced.map((f) => f.settled()));
    if (this.#state === 'running') {
      for (const log of new Set(positions.map((p) => this.#log(p)))) this.#fetchers.get(log)?.start();
    }
  }

  async unassign(partitions: TopicPartition[]): Promise<void> {
    checkList(partitions, 'unassign');
    const stopped: PartitionFetcher[] = [];
    for (const tp of partitions) {
      checkTopicPartition(tp, 'unassign');
      const log = this.#context.topics().get(tp.topic)?.logs[tp.partition];
      const fetcher = log && this.#fetchers.get(log);
      if (log === undefined || fetcher === undefined) continue;
      fetcher.stop();
      this.#fetchers.delete(log);
      stopped.push(fetcher);
    }
    await Promise.all(stopped.map((f) => f.settled()));
  }

  seek(position: RecordPosition): void {
    checkPosition(position, 'seek');
    const fetcher = this.#fetchers.get(this.#log(position));
    if (fetcher === undefined) {
      throw new HeraldError('HERALD_NOT_ASSIGNED', `${position.topic}/${position.partition} is not read here`, {
        details: { topic: position.topic, partition: position.partition },
      });
    }
    fetcher.seek(position.offset);
  }

  positions(): RecordPosition[] {
    return [...this.#fetchers.values()]
      .map((f) => ({ ...f.topicPartition, offset: f.position }))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#state = 'closed';
    const fetchers = [...this.#fetchers.values()];
    this.#fetchers.clear();
    for (const fetcher of fetchers) fetcher.stop();
    await Promise.all(fetchers.map((f) => f.settled()));
    this.#context.onClosed(this);
  }

  #log(tp: TopicPartition): PartitionLog {
    return this.#context.topics().log(tp.topic, tp.partition);
  }

  /** Creates fetchers for `positions` (all validated first); returns the fetchers they replace, already stopped. */
  #add(positions: RecordPosition[]): PartitionFetcher[] {
    checkList(positions, 'assign');
    for (const position of positions) checkPosition(position, 'assign');
    const logs = positions.map((p) => this.#log(p));
    const replaced: PartitionFetcher[] = [];
    const notifier = this.#context.notifier();
    positions.forEach((position, i) => {
      const log = logs[i];
      const previous = this.#fetchers.get(log);
      if (previous !== undefined) {
        previous.stop();
        replaced.push(previous);
      }
      const fetcher = new PartitionFetcher(
        log,
        position.offset,
        notifier,
        this.#maxBatchSize,
        (records, next) => this.#deliver(log, records, next),
        (err) => this.#context.logger?.error({ err }, 'embedded broker: tail read failed'),
        true,
      );
      this.#fetchers.set(log, fetcher);
    });
    return replaced;
  }

  async #deliver(log: PartitionLog, records: BrokerRecord[], next: number): Promise<void> {
    try {
      await this.#listener!.onRecords({ topic: log.topic.name, partition: log.partition, records, next });
    } catch (err) {
      this.#context.logger?.warn(
        { err, topic: log.topic.name, partition: log.partition },
        'embedded broker: tail listener failed',
      );
    }
  }
}
