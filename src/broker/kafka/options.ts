/**
 * Turns a {@link KafkaBrokerSpec} into `@platformatic/kafka` client options, validating it once at construction:
 * a spec that cannot work is `HERALD_CONFIG_INVALID` before any socket is opened.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { BaseOptions, CompressionAlgorithmValue, ProduceAckValue } from '@platformatic/kafka';
import { HeraldError } from '../../errors.ts';

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
  transactions?: {
    /**
     * Time between the starts of two transactions of one transactional consumer (a processor instance) under load,
     * in ms: commits made meanwhile share the next transaction. Applied in full when the event loop is saturated,
     * less as it has time to spare (`transaction-spacing.ts`). Default {@link DEFAULT_TRANSACTION_INTERVAL_MS}.
     */
    intervalMs?: number;
    /**
     * Kafka's transaction protocol: 2 (KIP-890: no AddPartitionsToTxn or AddOffsetsToTxn, a new epoch with every
     * transaction; `transaction-v2.ts`) or 1. Default `'auto'`: 2 where the cluster has finalized
     * `transaction.version` 2 (clusters formatted by Kafka 4.0 or newer), else 1.
     */
    protocol?: TransactionProtocol;
  };
}

/** Which transaction protocol a transactional producer uses: `'auto'` asks the cluster (`transaction-v2.ts`). */
export type TransactionProtocol = 1 | 2 | 'auto';

/** The producer settings after defaults, in the library's terms. */
export interface ProducerSettings {
  acks: ProduceAckValue;
  idempotent: boolean;
  /** How long the first records of an idle producer wait for company before they are sent. */
  lingerMs: number;
  /** Most bytes (keys, values, headers and per-record overhead, before compression) in one produce request. */
  batchBytes: number;
  compression: CompressionAlgorithmValue;
}

/** Everything the adapter needs from a spec, after validation and defaults. */
export interface KafkaSettings {
  clientId: string;
  /** Connection options shared by every client (bootstrap servers, SASL, TLS, timeouts). */
  base: BaseOptions;
  producer: ProducerSettings;
  /** Replication factor of topics Herald creates; `-1` lets the broker decide. */
  replicationFactor: number;
  /** See `KafkaBrokerSpec.transactions.intervalMs`. */
  transactionIntervalMs: number;
  /** How busy the process is (0–1), which scales that interval; by default its event loop's recent utilization. */
  transactionLoad?: () => number;
  /** See `KafkaBrokerSpec.transactions.protocol`. */
  transactionProtocol: TransactionProtocol;
}

const ACKS: Record<string, ProduceAckValue> = { all: -1, leader: 1, none: 0 };
const COMPRESSIONS = new Set<string>(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
const SASL_MECHANISMS = new Set<string>(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/;

/**
 * Default most bytes per produce request: 256 KiB. Well below Kafka's `message.max.bytes` (1 MiB + 12), and measured
 * faster than 1 MB requests: the library builds a request in one go, and larger ones cost more CPU per record.
 */
export const DEFAULT_BATCH_BYTES = 262_144;

/**
 * Default time between two transactions' starts under load, when the event loop is saturated: 20 ms. Each Kafka
 * transaction is five requests (in three round trips since 2026-12-05), and the coordinator then writes markers to
 * every partition it touched and to the transaction log: with back-to-back transactions (each ~4 ms on the local
 * node) the wallet's processors made ~280 a second per group, and the Kafka JVM spent 75-88 µs of CPU per deposit.
 * Spaced 20 ms apart, each carries more: 57-79 µs in the JVM and 10-20% less in Herald at a fixed 5,000 deposits/s,
 * and saturated 10,497-11,327 deposits/s against 8,830-9,162 (alternating runs), on the two cores both share; a
 * record's commit waits up to 20 ms more under load (sparse commits not at all). Kafka Streams commits every 100 ms
 * under exactly-once for the same reason.
 */
export const DEFAULT_TRANSACTION_INTERVAL_MS = 20;

function invalid(message: string, field: string): HeraldError {
  return new HeraldError('HERALD_CONFIG_INVALID', `kafka broker spec: ${message}`, { details: { field } });
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkBootstrap(bootstrap: unknown): string[] {
  if (!Array.isArray(bootstrap) || bootstrap.length === 0) {
    throw invalid('bootstrap must list at least one host:port', 'bootstrap');
  }
  for (const server of bootstrap) {
    const match = typeof server === 'string' ? HOST_PORT.exec(server) : null;
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw invalid(`bootstrap server ${JSON.stringify(server)} is not host:port`, 'bootstrap');
    }
  }
  return bootstrap as string[];
}

function tlsOptions(tls: KafkaBrokerSpec['tls']): TlsConnectionOptions | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return {};
  if (typeof tls !== 'object' || tls === null) throw invalid('tls must be a boolean or an object', 'tls');
  const out: TlsConnectionOptions = {};
  if (tls.ca !== undefined) out.ca = tls.ca;
  if (tls.cert !== undefined) out.cert = tls.cert;
  if (tls.key !== undefined) out.key = tls.key;
  if (tls.rejectUnauthorized !== undefined) out.rejectUnauthorized = tls.rejectUnauthorized;
  return out;
}

function saslOptions(sasl: KafkaBrokerSpec['sasl']): BaseOptions['sasl'] {
  if (sasl === undefined) return undefined;
  if (typeof sasl !== 'object' || sasl === null || !SASL_MECHANISMS.has(sasl.mechanism)) {
    throw invalid('sasl.mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512', 'sasl.mechanism');
  }
  if (typeof sasl.username !== 'string' || typeof sasl.password !== 'string') {
    throw invalid('sasl needs a username and a password', 'sasl');
  }
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
}

function producerSettings(producer: KafkaBrokerSpec['producer'] = {}): ProducerSettings {
  const acksName = producer.acks ?? 'all';
  const acks = ACKS[acksName];
  if (acks === undefined) throw invalid('producer.acks must be all, leader or none', 'producer.acks');
  const idempotent = producer.idempotent ?? acksName === 'all';
  if (typeof idempotent !== 'boolean') throw invalid('producer.idempotent must be a boolean', 'producer.idempotent');
  if (idempotent && acksName !== 'all') {
    throw invalid('an idempotent producer needs producer.acks = all', 'producer.idempotent');
  }
  const lingerMs = producer.lingerMs ?? 0;
  if (!isNonNegativeInteger(lingerMs)) throw invalid('producer.lingerMs must be an integer >= 0', 'producer.lingerMs');
  const batchBytes = producer.batchBytes ?? DEFAULT_BATCH_BYTES;
  if (!isNonNegativeInteger(batchBytes) || batchBytes < 1) {
    throw invalid('producer.batchBytes must be an integer >= 1', 'producer.batchBytes');
  }
  const compression = producer.compression ?? 'none';
  if (!COMPRESSIONS.has(compression)) {
    throw invalid('producer.compression must be none, gzip, snappy, lz4 or zstd', 'producer.compression');
  }
  return { acks, idempotent, lingerMs, batchBytes, compression: compression as CompressionAlgorithmValue };
}

/** Validates `spec` and applies defaults. Throws `HERALD_CONFIG_INVALID` naming the offending field. */
export function resolveSettings(spec: KafkaBrokerSpec): KafkaSettings {
  if (typeof spec !== 'object' || spec === null || spec.kind !== 'kafka') throw invalid('kind must be kafka', 'kind');
  const bootstrapBrokers = checkBootstrap(spec.bootstrap);
  const clientId = spec.clientId ?? 'herald';
  if (typeof clientId !== 'string' || !/^\S+$/.test(clientId)) {
    throw invalid('clientId must be a non-empty string without spaces', 'clientId');
  }
  const replicationFactor = spec.replicationFactor ?? -1;
  if (replicationFactor !== -1 && (!isNonNegativeInteger(replicationFactor) || replicationFactor < 1)) {
    throw invalid('replicationFactor must be an integer >= 1', 'replicationFactor');
  }
  const base: BaseOptions = {
    clientId,
    bootstrapBrokers,
    connectTimeout: 5_000,
    requestTimeout: 30_000,
    retries: 3,
    retryDelay: 250,
  };
  const tls = tlsOptions(spec.tls);
  if (tls !== undefined) base.tls = tls;
  const sasl = saslOptions(spec.sasl);
  if (sasl !== undefined) base.sasl = sasl;
  const transactionIntervalMs = spec.transactions?.intervalMs ?? DEFAULT_TRANSACTION_INTERVAL_MS;
  if (!isNonNegativeInteger(transactionIntervalMs)) {
    throw invalid('transactions.intervalMs must be an integer >= 0', 'transactions.intervalMs');
  }
  const transactionProtocol = spec.transactions?.protocol ?? 'auto';
  if (transactionProtocol !== 1 && transactionProtocol !== 2 && transactionProtocol !== 'auto') {
    throw invalid("transactions.protocol must be 1, 2 or 'auto'", 'transactions.protocol');
  }
  return { clientId, base, producer: producerSettings(spec.producer), replicationFactor, transactionIntervalMs, transactionProtocol };
}

/** A client id derived from the broker's, so broker logs tell Herald's clients apart. */
export function childClientId(settings: KafkaSettings, role: string): string {
  return `${settings.clientId}-${role}`;
}
