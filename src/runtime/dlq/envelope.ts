import type { BrokerRecord, Headers, OutgoingRecord } from '../../broker/port.ts';
import { isHeraldError } from '../../errors.ts';
import { DLQ_HEADER_PREFIX, HEADERS } from '../headers.ts';
import type { Message } from '../message.ts';

/** Headers of a dead letter, each prefixed `herald.dlq.`. Times are ISO 8601 (UTC). */
export const DLQ_HEADERS = {
  topic: `${DLQ_HEADER_PREFIX}topic`,
  partition: `${DLQ_HEADER_PREFIX}partition`,
  offset: `${DLQ_HEADER_PREFIX}offset`,
  /** The origin key as UTF-8 text, or base64 when `key-encoding` says so; absent for no key. */
  key: `${DLQ_HEADER_PREFIX}key`,
  keyEncoding: `${DLQ_HEADER_PREFIX}key-encoding`,
  /** The origin record's timestamp. */
  timestamp: `${DLQ_HEADER_PREFIX}timestamp`,
  group: `${DLQ_HEADER_PREFIX}group`,
  errorCode: `${DLQ_HEADER_PREFIX}error-code`,
  errorMessage: `${DLQ_HEADER_PREFIX}error-message`,
  attempts: `${DLQ_HEADER_PREFIX}attempts`,
  firstAttemptAt: `${DLQ_HEADER_PREFIX}first-attempt-at`,
  lastAttemptAt: `${DLQ_HEADER_PREFIX}last-attempt-at`,
} as const;

const MAX_ERROR_MESSAGE = 1_000;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A dead letter read back: where it came from, why it failed, and the original record. */
export interface DeadLetter {
  /** Where the dead letter itself is stored; `timestamp` is when it was dead-lettered. */
  dlq: { topic: string; partition: number; offset: number; timestamp: number };
  origin: { topic: string; partition: number; offset: number; timestamp: number };
  group: string;
  error: { code: string; message: string };
  attempts: number;
  firstAttemptAt: number | null;
  lastAttemptAt: number | null;
  /** How often this record had been replayed before it failed this time (`herald.replay.count`). */
  replayCount: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The original headers (without `herald.dlq.*`). */
  headers: Headers;
}

function keyHeaders(key: Buffer | null): Headers {
  if (key === null) return {};
  try {
    return { [DLQ_HEADERS.key]: strictUtf8.decode(key) };
  } catch {
    return { [DLQ_HEADERS.key]: key.toString('base64'), [DLQ_HEADERS.keyEncoding]: 'base64' };
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * The dead letter of `message`: the original key, value and headers, plus `herald.dlq.*` headers on the origin
 * (topic, partition, offset, key, timestamp, group) and the failure (error code and message, attempts, first and
 * last attempt times). Errors that are not Herald errors are reported as `HERALD_HANDLER_FAILED`.
 */
export function deadLetterRecord(message: Message<unknown>, error: unknown, topic: string): OutgoingRecord {
  return deadLetterOf(message.record, message.group, error, message.handling, topic);
}

/** What a dead letter says about the attempts that failed. */
export interface FailedAttempts {
  attempts: number;
  firstAttemptAt: number | undefined;
  lastAttemptAt: number | undefined;
}

/** The dead letter of `record` as consumed by `group` (see {@link deadLetterRecord}); for callers without a Message. */
export function deadLetterOf(
  record: BrokerRecord,
  group: string,
  error: unknown,
  handling: FailedAttempts,
  topic: string,
): OutgoingRecord {
  const headers: Headers = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (!name.startsWith(DLQ_HEADER_PREFIX)) headers[name] = value;
  }
  const text = error instanceof Error ? error.message : String(error);
  const fields: Record<string, string | undefined> = {
    [DLQ_HEADERS.topic]: record.topic,
    [DLQ_HEADERS.partition]: String(record.partition),
    [DLQ_HEADERS.offset]: String(record.offset),
    ...keyHeaders(record.key),
    [DLQ_HEADERS.timestamp]: iso(record.timestamp),
    [DLQ_HEADERS.group]: group,
    [DLQ_HEADERS.errorCode]: isHeraldError(error) ? error.code : 'HERALD_HANDLER_FAILED',
    [DLQ_HEADERS.errorMessage]: text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text,
    [DLQ_HEADERS.attempts]: String(handling.attempts),
    [DLQ_HEADERS.firstAttemptAt]: iso(handling.firstAttemptAt),
    [DLQ_HEADERS.lastAttemptAt]: iso(handling.lastAttemptAt),
  };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) headers[name] = value;
  return { topic, key: record.key, value: record.value, headers };
}

const time = (value: string | undefined) => {
  const ms = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
};

/** Reads a dead letter back; `undefined` for a record that is not one (no origin topic header). */
export function parseDeadLetter(record: BrokerRecord): DeadLetter | undefined {
  const h = record.headers;
  const originTopic = h[DLQ_HEADERS.topic];
  if (originTopic === undefined) return undefined;
  const headers: Headers = {};
  for (const [name, value] of Object.entries(h)) if (!name.startsWith(DLQ_HEADER_PREFIX)) headers[name] = value;
  return {
    dlq: { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp },
    origin: {
      topic: originTopic,
      partition: Number(h[DLQ_HEADERS.partition] ?? -1),
      offset: Number(h[DLQ_HEADERS.offset] ?? -1),
      timestamp: time(h[DLQ_HEADERS.timestamp]) ?? 0,
    },
    group: h[DLQ_HEADERS.group] ?? '',
    error: { code: h[DLQ_HEADERS.errorCode] ?? '', message: h[DLQ_HEADERS.errorMessage] ?? '' },
    attempts: Number(h[DLQ_HEADERS.attempts] ?? 0),
    firstAttemptAt: time(h[DLQ_HEADERS.firstAttemptAt]),
    lastAttemptAt: time(h[DLQ_HEADERS.lastAttemptAt]),
    replayCount: Number(h[HEADERS.replayCount] ?? 0) || 0,
    key: record.key,
    value: record.value,
    headers,
  };
}
