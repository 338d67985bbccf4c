import type { GroupInfo, OutgoingRecord, RecordPosition, TopicInfo, TopicSpec } from '../broker/port.ts';
import type { DeadLetterView } from './dead-letter-view.ts';
import type { DeadLetterFilter, ReplayOptions, ReplayReport } from './dead-letters.ts';
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
  deleteTopic(name: string): Promise<void>;
  /** Appends the records; resolves with their positions once durable. */
  produce(records: OutgoingRecord[]): Promise<Pick<RecordPosition, 'partition' | 'offset'>[]>;
  /** Up to `limit` records of one partition from `offset`, as JSON-friendly views. */
  read(position: RecordPosition, limit: number): Promise<RecordView[]>;
  /** Every group with its member count and total lag, by name. */
  listGroups(): Promise<GroupSummary[]>;
  describeGroup(group: string): Promise<GroupInfo>;
  /** Every dead-letter topic with its record count, by name. */
  deadLetterTopics(): Promise<DeadLetterTopic[]>;
  /** The dead letters of `topic` matching `filter` (default limit 100), oldest first. */
  deadLetters(topic: string, filter: DeadLetterFilter): Promise<DeadLetterView[]>;
  /**
   * Re-publishes matching dead letters of `topic` to their origin topics (see `replayDeadLetters`). `signal` stops
   * it early; the report then says what was done (`cancelled`).
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
