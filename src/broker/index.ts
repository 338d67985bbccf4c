/**
 * `herald/broker`: the broker port (small interfaces, semantics in TSDoc), its rules, Kafka's partitioner, and the
 * factory of its two implementations — the embedded log and Apache Kafka.
 */
export { type BrokerSpec, createBroker } from './create.ts';
export type { EmbeddedBrokerOptions, EmbeddedBrokerSpec } from './embedded/options.ts';
export type { KafkaBrokerSpec } from './kafka/options.ts';
export { murmur2, partitionForKey } from './partitioner.ts';
export type {
  Admin,
  Broker,
  BrokerRecord,
  CommitChain,
  ConsumerListener,
  ConsumerOptions,
  GroupConsumer,
  GroupInfo,
  GroupMember,
  GroupOffset,
  Headers,
  OutgoingRecord,
  PartitionInfo,
  Producer,
  RecordPosition,
  TopicInfo,
  TopicPartition,
  TopicSpec,
} from './port.ts';
export { isTopicName, MAX_PARTITIONS, MAX_TIMESTAMP } from './rules.ts';
