/**
 * Herald's {@link Admin} on Kafka: topics ({@link Topics}), groups ({@link Groups}) and `read`
 * ({@link PartitionReader}), sharing one library `Admin` client.
 */
import { Admin as LibraryAdmin } from '@platformatic/kafka';
import { HeraldError } from '../../errors.ts';
import { withTimeout } from '../../kit/timeout.ts';
import type {
  Admin,
  BrokerRecord,
  EndOffsetsOptions,
  GroupInfo,
  PartitionInfo,
  RecordPosition,
  TopicInfo,
  TopicSpec,
  TopicStorage,
} from '../port.ts';
import { checkEndOffsetsOptions, checkTopicName } from '../rules.ts';
import { codeOf, toHeraldError } from './errors.ts';
import { Groups } from './groups.ts';
import { childClientId, type KafkaSettings } from './options.ts';
import { PartitionReader } from './reader.ts';
import { Topics } from './topics.ts';

/** How long `ping` waits for a metadata answer. */
const PING_TIMEOUT_MS = 3_000;

export class KafkaAdmin implements Admin {
  readonly #client: LibraryAdmin;
  readonly #topics: Topics;
  readonly #groups: Groups;
  readonly #reader: PartitionReader;
  readonly #onTopicDeleted: (name: string) => void;
  #closed = false;

  /** `onTopicDeleted` lets the broker drop cached metadata of its other clients. */
  constructor(settings: KafkaSettings, onTopicDeleted: (name: string) => void) {
    this.#client = new LibraryAdmin({ ...settings.base, clientId: childClientId(settings, 'admin') });
    this.#topics = new Topics(this.#client, settings.replicationFactor);
    this.#groups = new Groups(this.#client);
    this.#reader = new PartitionReader(settings);
    this.#onTopicDeleted = onTopicDeleted;
  }

  #open(): void {
    if (this.#closed) throw new HeraldError('HERALD_BROKER_CLOSED', 'the broker is stopped');
  }

  /** `HERALD_TOPIC_EXISTS` if it exists; `HERALD_INVALID_ARGUMENT` for names Kafka refuses. */
  async createTopic(spec: TopicSpec): Promise<void> {
    this.#open();
    await this.#topics.create(spec);
  }

  async ensureTopic(spec: TopicSpec): Promise<void> {
    this.#open();
    try {
      await this.#topics.create(spec);
    } catch (err) {
      if (codeOf(err) !== 'HERALD_TOPIC_EXISTS') throw err;
    }
  }

  async listTopics(): Promise<TopicInfo[]> {
    this.#open();
    return this.#topics.list();
  }

  async describeTopic(name: string): Promise<TopicInfo> {
    this.#open();
    return this.#topics.describe(name);
  }

  async topicStorage(name: string): Promise<TopicStorage> {
    this.#open();
    return this.#topics.storage(name);
  }

  async deleteTopic(name: string): Promise<void> {
    this.#open();
    try {
      await this.#topics.delete(name);
    } finally {
      this.#onTopicDeleted(name);
    }
  }

  async listGroups(): Promise<string[]> {
    this.#open();
    return this.#groups.list();
  }

  async describeGroup(group: string): Promise<GroupInfo> {
    this.#open();
    return this.#groups.describe(group);
  }

  /** ListOffsets at the latest offset with the isolation level: the last stable offset under read_committed. */
  async endOffsets(topic: string, options?: EndOffsetsOptions): Promise<PartitionInfo[]> {
    this.#open();
    const isolation = checkEndOffsetsOptions(options);
    checkTopicName(topic, 'topic');
    return this.#topics.endOffsets(topic, isolation);
  }

  async read(position: RecordPosition, limit: number): Promise<BrokerRecord[]> {
    this.#open();
    return this.#reader.read(position, limit);
  }

  /** A Metadata request answered within 3 s, else `HERALD_BROKER_UNAVAILABLE`. */
  async ping(): Promise<void> {
    this.#open();
    try {
      await withTimeout(this.#client.metadata({ topics: [], forceUpdate: true, retries: 0 }), PING_TIMEOUT_MS, () => {
        throw new HeraldError('HERALD_BROKER_UNAVAILABLE', `no Kafka broker answered within ${PING_TIMEOUT_MS} ms`);
      });
    } catch (err) {
      const error = toHeraldError(err, 'ping');
      throw error.code === 'HERALD_BROKER_CLOSED'
        ? error
        : new HeraldError('HERALD_BROKER_UNAVAILABLE', error.message, { cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([this.#reader.close(), this.#client.close()]);
  }
}
