import { HeraldError } from '../../errors.ts';
import type { ConsumerOptions, RecordPosition, TopicPartition, TopicSpec } from '../broker.ts';
import { isTopicName, type ResolvedConsumerOptions as PortConsumerOptions, resolveConsumerOptions } from '../options.ts';

export const MAX_PARTITIONS = 10_000;

export function invalid(message: string, details?: unknown): HeraldError {
  return new HeraldError('HERALD_INVALID_ARGUMENT', message, { details });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** Kafka's rule: 1..249 of `[a-zA-Z0-9._-]`, and not `.` or `..`. */
export function validateTopicName(name: unknown): asserts name is string {
  if (!isTopicName(name)) {
    throw invalid(`topic name ${JSON.stringify(name)} is invalid: use 1-249 of [a-zA-Z0-9._-], not "." or ".."`, {
      field: 'name',
      value: name,
    });
  }
}

function optionalPositiveInteger(value: unknown, field: string): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)) {
    throw invalid(`${field} must be a positive integer`, { field, value });
  }
}

export function validateTopicSpec(spec: unknown): asserts spec is TopicSpec {
  if (!isPlainObject(spec)) throw invalid('topic spec must be an object');
  validateTopicName(spec.name);
  const { partitions } = spec;
  if (
    typeof partitions !== 'number' ||
    !Number.isInteger(partitions) ||
    partitions < 1 ||
    partitions > MAX_PARTITIONS
  ) {
    throw invalid(`partitions must be an integer from 1 to ${MAX_PARTITIONS}`, {
      field: 'partitions',
      value: partitions,
    });
  }
  if (spec.compacted !== undefined && typeof spec.compacted !== 'boolean') {
    throw invalid('compacted must be a boolean', { field: 'compacted', value: spec.compacted });
  }
  optionalPositiveInteger(spec.replicationFactor, 'replicationFactor');
  optionalPositiveInteger(spec.retentionMs, 'retentionMs');
  optionalPositiveInteger(spec.retentionBytes, 'retentionBytes');
  if (spec.configs !== undefined) {
    if (!isPlainObject(spec.configs)) throw invalid('configs must be an object of strings', { field: 'configs' });
    for (const [name, value] of Object.entries(spec.configs)) {
      if (typeof value !== 'string') throw invalid(`configs.${name} must be a string`, { field: `configs.${name}` });
    }
  }
}

export function validatePartitionNumber(partition: unknown, field = 'partition'): asserts partition is number {
  if (typeof partition !== 'number' || !Number.isSafeInteger(partition)) {
    throw invalid(`${field} must be an integer`, { field, value: partition });
  }
}

export function validateTopicPartition(tp: unknown): asserts tp is TopicPartition {
  if (!isPlainObject(tp)) throw invalid('a topic partition must be an object with topic and partition');
  if (typeof tp.topic !== 'string') throw invalid('topic must be a string', { field: 'topic', value: tp.topic });
  validatePartitionNumber(tp.partition);
}

export function validateOffset(offset: unknown): asserts offset is number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw invalid('offset must be a non-negative integer', { field: 'offset', value: offset });
  }
}

export function validatePosition(position: unknown): asserts position is RecordPosition {
  validateTopicPartition(position);
  validateOffset((position as RecordPosition).offset);
}

export function validateHeaders(headers: unknown): void {
  if (headers === undefined) return;
  if (!isPlainObject(headers)) throw invalid('headers must be an object of strings', { field: 'headers' });
  for (const name in headers) {
    if (typeof headers[name] !== 'string') {
      throw invalid(`header ${JSON.stringify(name)} must be a string`, { field: `headers.${name}` });
    }
  }
}

/** The port's consumer options, with the embedded broker's default client id. */
export interface ResolvedConsumerOptions extends PortConsumerOptions {
  clientId: string;
}

export function validateConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  const resolved = resolveConsumerOptions(options);
  return { ...resolved, clientId: resolved.clientId ?? 'herald' };
}

export function validateLimit(limit: unknown): asserts limit is number {
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw invalid('limit must be a positive integer', { field: 'limit', value: limit });
  }
}

export { isPlainObject };
