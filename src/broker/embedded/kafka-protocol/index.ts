/**
 * The embedded broker's Kafka listener: the Kafka wire protocol on a port of its own, so Kafka clients (kcat, the
 * Java client and tools, Go and Node clients) produce to and consume from the same log, groups and committed
 * offsets as Herald's own port.
 *
 * - wire/: frames, primitives, headers, error codes and one schema interpreter for every API's messages;
 * - records/: record batch v2 (CRC-32C, decompression), header conversion, idempotent producer state, reads;
 * - apis/: one file per API or family (ApiVersions, Metadata, Produce, Fetch, ListOffsets, FindCoordinator, the
 *   classic group protocol, OffsetCommit/OffsetFetch, ListGroups/DescribeGroups, CreateTopics/DeleteTopics,
 *   DescribeConfigs, DescribeLogDirs, InitProducerId, the transaction APIs, SASL/PLAIN);
 * - groups/: the classic group coordinator and the consumer protocol's bytes;
 * - transactions/: the transaction coordinator (transactional ids, epochs, open transactions);
 * - server/: options, the listener (TCP server) and connections.
 */
export { brokerAccess, type EmbeddedParts, externalGroups, NODE_ID } from './server/broker-access.ts';
export { KafkaListener } from './server/listener.ts';
export { type KafkaListenerOptions, type ResolvedListenerOptions, resolveListenerOptions } from './server/options.ts';
