import type {
  BrokerRecord,
  GroupInfo,
  OutgoingRecord,
  RecordPosition,
  TopicInfo,
  TopicSpec,
} from '../../broker/port.ts';
import type { RecordView } from '../../http/admin/encoding.ts';

/** What the client commands need, from a running Herald (HTTP admin API) or straight from a Kafka cluster. */
export interface AdminTarget {
  createTopic(spec: TopicSpec): Promise<TopicInfo>;
  listTopics(): Promise<TopicInfo[]>;
  describeTopic(name: string): Promise<TopicInfo>;
  deleteTopic(name: string): Promise<void>;
  produce(records: OutgoingRecord[]): Promise<Pick<RecordPosition, 'partition' | 'offset'>[]>;
  read(position: RecordPosition, limit: number): Promise<RecordView[]>;
  listGroups(): Promise<{ group: string; members: number; lag: number }[]>;
  describeGroup(group: string): Promise<GroupInfo>;
  close(): Promise<void>;
}

export type { BrokerRecord };
