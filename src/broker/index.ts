import type { Logger } from 'pino';
import type { Broker } from './broker.ts';
import type { KafkaListenerOptions } from './embedded/kafka-protocol/index.ts';

/** Options of the embedded broker (a durable single-machine log inside this process). */
export interface EmbeddedBrokerSpec {
  kind: 'embedded';
  /** Directory holding the log; owned by one process at a time. */
  dataDir: string;
  /** `'fsync'` (default): a send resolves after the batch is fsynced. `'os'`: after the OS has the write. */
  durability?: 'fsync' | 'os';
  /**
   * A listener for Kafka clients on the same log, groups and offsets (see `embedded/kafka-protocol/`). Absent:
   * none. `npm start` passes the `broker.kafkaListener` config (by default: 127.0.0.1:9092 when free).
   */
  kafkaListener?: KafkaListenerOptions;
}

/** Options of the Apache Kafka broker adapter. */
export interface KafkaBrokerSpec {
  kind: 'kafka';
  /** Bootstrap servers, `host:port`. */
  bootstrap: string[];
  clientId?: string;
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
  /** `true` for TLS with the system CAs, or explicit PEM material. */
  tls?: boolean | { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  producer?: {
    /** Default `'all'`. */
    acks?: 'all' | 'leader' | 'none';
    /** Default `true` (requires acks `'all'`). */
    idempotent?: boolean;
    lingerMs?: number;
    batchBytes?: number;
    compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  };
  /** Replication factor of topics Herald creates. Default: the broker's default. */
  replicationFactor?: number;
}

export type BrokerSpec = EmbeddedBrokerSpec | KafkaBrokerSpec;

/** Builds (but does not start) the broker a spec describes. Kafka code is loaded only when asked for. */
export async function createBroker(spec: BrokerSpec, logger?: Logger): Promise<Broker> {
  if (spec.kind === 'embedded') {
    const { createEmbeddedBroker } = await import('./embedded/index.ts');
    return createEmbeddedBroker(spec, logger);
  }
  const { createKafkaBroker } = await import('./kafka/index.ts');
  return createKafkaBroker(spec, logger);
}
