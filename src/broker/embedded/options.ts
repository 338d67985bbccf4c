import { HeraldError } from '../../errors.ts';
import type { ConsumerOptions } from '../port.ts';
import { resolveConsumerOptions, type ResolvedConsumerOptions as PortConsumerOptions } from '../rules.ts';
import { type KafkaListenerOptions, type ResolvedListenerOptions, resolveListenerOptions } from './kafka-protocol/index.ts';

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
  /**
   * Start even when this data directory was initialised but its `herald.db` is missing or empty (its records are
   * lost; a warning is logged). Default `false`: such a start fails with `HERALD_STORAGE_MISSING` naming the file.
   */
  acceptEmptyStorage?: boolean;
}

/**
 * Tuning of the embedded broker beyond {@link EmbeddedBrokerSpec}. Every field is optional; the defaults suit a
 * service process. Tests shorten the intervals.
 */
export interface EmbeddedBrokerOptions {
  /** How often the background cleaner applies retention and compaction. Default 30,000 ms. */
  cleanerIntervalMs?: number;
  /**
   * How long a tombstone (a `null` value) stays in a compacted topic after compaction first sees it, so that
   * consumers that are behind still observe the delete. Default 86,400,000 ms (Kafka's `delete.retention.ms`);
   * `0` removes tombstones in the same compaction pass. A topic's `configs['delete.retention.ms']` overrides it.
   */
  deleteRetentionMs?: number;
  /** Records the cleaner handles in one synchronous step before yielding to the event loop. Default 5,000. */
  cleanerChunkSize?: number;
  /** SQLite page cache per connection, in KiB. Default 16,384 (16 MiB). */
  cacheSizeKiB?: number;
}

export interface ResolvedOptions {
  dataDir: string;
  durability: 'fsync' | 'os';
  cleanerIntervalMs: number;
  deleteRetentionMs: number;
  cleanerChunkSize: number;
  cacheSizeKiB: number;
  acceptEmptyStorage: boolean;
  kafkaListener: ResolvedListenerOptions;
}

function nonNegativeInteger(value: unknown, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new HeraldError('HERALD_CONFIG_INVALID', `embedded broker: ${name} must be an integer >= ${min}`, {
      details: { field: name, value },
    });
  }
  return value;
}

/** Validates the spec and options once, at construction. */
export function resolveOptions(spec: EmbeddedBrokerSpec & EmbeddedBrokerOptions): ResolvedOptions {
  if (spec === null || typeof spec !== 'object') {
    throw new HeraldError('HERALD_CONFIG_INVALID', 'embedded broker: spec must be an object');
  }
  if (typeof spec.dataDir !== 'string' || spec.dataDir.length === 0) {
    throw new HeraldError('HERALD_CONFIG_INVALID', 'embedded broker: dataDir must be a non-empty path', {
      details: { field: 'dataDir' },
    });
  }
  const durability = spec.durability ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'os') {
    throw new HeraldError('HERALD_CONFIG_INVALID', "embedded broker: durability must be 'fsync' or 'os'", {
      details: { field: 'durability', value: durability },
    });
  }
  return {
    dataDir: spec.dataDir,
    durability,
    cleanerIntervalMs: nonNegativeInteger(spec.cleanerIntervalMs, 'cleanerIntervalMs', 30_000, 1),
    deleteRetentionMs: nonNegativeInteger(spec.deleteRetentionMs, 'deleteRetentionMs', 86_400_000),
    cleanerChunkSize: nonNegativeInteger(spec.cleanerChunkSize, 'cleanerChunkSize', 5_000, 1),
    cacheSizeKiB: nonNegativeInteger(spec.cacheSizeKiB, 'cacheSizeKiB', 16_384, 1),
    acceptEmptyStorage: spec.acceptEmptyStorage === true,
    kafkaListener: resolveListenerOptions(spec.kafkaListener),
  };
}

/** The port's consumer options, with the embedded broker's default client id. */
export interface ResolvedConsumerOptions extends PortConsumerOptions {
  clientId: string;
}

/** @throws HeraldError `HERALD_INVALID_ARGUMENT` naming the offending field (the port's rules). */
export function resolveEmbeddedConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  const resolved = resolveConsumerOptions(options);
  return { ...resolved, clientId: resolved.clientId ?? 'herald' };
}
