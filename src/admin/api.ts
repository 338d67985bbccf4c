import type { GroupInfo, OutgoingRecord, RecordPosition, TopicInfo, TopicSpec, TopicStorage } from '../broker/port.ts';
import type { DeadLetterFilter, DeadLetterPage, ReplayOptions, ReplayReport } from './dead-letters.ts';
import type { GroupReadOptions } from './group-records.ts';
import type { MessagePage, ReadQuery } from './pages.ts';
import type { ProcessorsOverview } from './processors.ts';
import type { RecordView } from './records.ts';

/** A consumer group at a glance: its live members and its lag summed over every partition. */
export interface GroupSummary {
  group: string;
  members: number;
  lag: number;
}

/** A dead-letter topic (`<topic>.<group>.dlq`) and how many records it holds. */
export interface DeadLetterTopic {
  topic: string;
  records: number;
}

/** What `herald metadata` shows, like `kcat -L`: which broker, and every topic with its partitions' offsets. */
export interface Metadata {
  /** `embedded` or `kafka`. */
  broker: string;
  topics: TopicInfo[];
}

/**
 * What Herald's operators can do: topics, messages, groups and lag, dead letters and replay, processors. One interface with
 * two implementations — over a broker (`BrokerAdminApi`, behind the HTTP admin routes and the CLI's `--broker`) and
 * over a running server's `/admin` routes (the CLI's default) — so the routes and the commands cannot drift apart.
 * Failures are `HeraldError`s with the broker's codes.
 */
export interface AdminApi {
  /** Creates the topic and describes it; `HERALD_TOPIC_EXISTS` if it exists. */
  createTopic(spec: TopicSpec): Promise<TopicInfo>;
  /** Every topic, by name. */
  listTopics(): Promise<TopicInfo[]>;
  describeTopic(name: string): Promise<TopicInfo>;
  /** Bytes stored per partition and the retention in force. */
  topicStorage(name: string): Promise<TopicStorage>;
  deleteTopic(name: string): Promise<void>;
  /** Appends the records; resolves with their positions once durable. */
  produce(records: OutgoingRecord[]): Promise<Pick<RecordPosition, 'partition' | 'offset'>[]>;
  /**
   * A page of records of one partition or of all (merged by timestamp), as JSON-friendly views, bounded by a count
   * and a byte budget; its `next` cursor continues after it.
   */
  read(query: ReadQuery): Promise<MessagePage>;
  /**
   * Consumes a topic as a member of a consumer group (see `groupRecords`): the group's committed offsets move past
   * the records taken. Breaking out of the loop leaves the group.
   */
  groupRecords(options: Omit<GroupReadOptions, 'clientId'>): AsyncIterable<RecordView>;
  /** The broker's kind and every topic. */
  metadata(): Promise<Metadata>;
  /** Every group with its member count and total lag, by name. */
  listGroups(): Promise<GroupSummary[]>;
  describeGroup(group: string): Promise<GroupInfo>;
  /** Every dead-letter topic with its record count, by name. */
  deadLetterTopics(): Promise<DeadLetterTopic[]>;
  /** A page of the dead letters of `topic` matching `filter` (default 100), oldest first, with replay marks. */
  deadLetters(topic: string, filter: DeadLetterFilter): Promise<DeadLetterPage>;
  /**
   * Re-publishes matching dead letters of `topic` to their origin topics and marks them (`replayDeadLetters`).
   * `signal` stops it early; the report then says what was done (`cancelled`).
   */
  replay(topic: string, options: ReplayOptions, signal?: AbortSignal): Promise<ReplayReport>;
  /**
   * The processors and views of the Herald process behind this API (see `processorsOverview`); `HERALD_NOT_FOUND`
   * over a bare broker, which knows no processors.
   */
  processors(): Promise<ProcessorsOverview>;
  /** Releases what it holds (a producer, a connection). */
  close(): Promise<void>;
}
