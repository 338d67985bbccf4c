import { HeraldError } from '../../errors.ts';
import type { OutgoingRecord, Producer, RecordPosition } from '../port.ts';
import { partitionForKey } from '../partitioner.ts';
import { recordSize, storedHeaders } from './records.ts';
import type { TopicState } from './partition-log.ts';
import type { TopicRegistry } from './topics.ts';
import { checkOutgoing } from '../rules.ts';
import type { AppendRecord } from './pending-log.ts';
import type { Writer } from './writer.ts';

/**
 * Checks every record (the port's rules, then the topics and partitions they name) and resolves its partition,
 * before anything is written: a bad record throws and the whole call is refused. Spreading unkeyed records
 * (round-robin) advances the topic's counter only once all are valid.
 */
export function prepareRecords(topics: TopicRegistry, records: unknown): AppendRecord[] {
  checkOutgoing(records);
  const prepared: AppendRecord[] = new Array(records.length);
  const spread = new Map<TopicState, number>();
  const now = Date.now();
  let topic: TopicState | undefined;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (topic?.name !== record.topic) topic = topics.require(record.topic);
    const { key = null, value, partition, timestamp = now } = record;
    if (topic.compacted && key === null) {
      throw new HeraldError('HERALD_INVALID_ARGUMENT', `record ${i}: topic ${topic.name} is compacted: every record needs a key`, {
        details: { index: i, field: 'key' },
      });
    }
    let target: number;
    if (partition !== undefined) {
      target = partition;
    } else if (key !== null) {
      target = partitionForKey(key, topic.logs.length);
    } else {
      const next = spread.get(topic) ?? topic.spread;
      target = next % topic.logs.length;
      spread.set(topic, next + 1);
    }
    const log = target >= 0 && target < topic.logs.length ? topic.logs[target] : topics.log(topic.name, target);
    const headers = storedHeaders(record.headers);
    prepared[i] = { log, timestamp, key, value, headers, size: recordSize(key, value, headers) };
  }
  for (const [state, next] of spread) state.spread = next % 1_000_000_007;
  return prepared;
}

/** A producer of the embedded broker; sends of all producers share the broker's group commit. */
export class EmbeddedProducer implements Producer {
  readonly #topics: () => TopicRegistry;
  readonly #writer: () => Writer;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #onClose: (producer: EmbeddedProducer) => void;
  #closed = false;
  #closing: Promise<void> | null = null;

  /** `topics`/`writer` throw the broker's lifecycle error when it is not running. */
  constructor(topics: () => TopicRegistry, writer: () => Writer, onClose: (producer: EmbeddedProducer) => void) {
    this.#topics = topics;
    this.#writer = writer;
    this.#onClose = onClose;
  }

  send(records: OutgoingRecord[]): Promise<RecordPosition[]> {
    if (this.#closed) return Promise.reject(new HeraldError('HERALD_BROKER_CLOSED', 'the producer is closed'));
    let promise: Promise<RecordPosition[]>;
    try {
      const prepared = prepareRecords(this.#topics(), records);
      if (prepared.length === 0) return Promise.resolve([]);
      promise = this.#writer().append(prepared);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#inFlight.add(promise);
    const done = () => this.#inFlight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= Promise.allSettled([...this.#inFlight]).then(() => this.#onClose(this));
    return this.#closing;
  }
}
