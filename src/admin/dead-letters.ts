import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, BrokerRecord, OutgoingRecord, Producer, TopicInfo } from '../broker/port.ts';
import { HeraldError, isHeraldError } from '../errors.ts';
import { type DeadLetter, parseDeadLetter } from '../runtime/dlq/envelope.ts';
import { HEADERS } from '../runtime/headers.ts';
import { type DeadLetterView, deadLetterView } from './dead-letter-view.ts';

/** Which dead letters of a dead-letter topic to list or replay. Every field narrows; none means all. */
export interface DeadLetterFilter {
  /** Only records with this key (UTF-8). */
  key?: string;
  /** Only records dead-lettered at or after this time (epoch ms). */
  since?: number;
  /** Only records dead-lettered before this time (epoch ms). */
  until?: number;
  /** Start reading each partition of the dead-letter topic at this offset. Default 0. */
  fromOffset?: number;
  /** Stop after this many matches. */
  limit?: number;
}

export interface ReplayOptions extends DeadLetterFilter {
  /** Report what would be replayed, send nothing. */
  dryRun?: boolean;
  /** Most records re-published per second. Default unlimited. */
  ratePerSecond?: number;
  /**
   * Skip dead letters whose record was already replayed this many times (`herald.replay.count`): a record that
   * fails again after every replay is a loop, not a glitch. Default 10.
   */
  maxReplays?: number;
}

export interface ReplayReport {
  topic: string;
  dryRun: boolean;
  /** Dead letters matching the filter. */
  matched: number;
  /** Re-published to their origin topics (0 for a dry run). */
  replayed: number;
  /** Matching records not replayed, and why. */
  skipped: { partition: number; offset: number; reason: string }[];
  /** The first 1,000 matched records (the dry run's answer to "what would be replayed"). */
  records: DeadLetterView[];
  /**
   * Present when the replay was stopped before the end (the server shutting down): why, and the first dead
   * letter not replayed — everything before it in that partition (and in every partition before it) was.
   */
  cancelled?: { reason: string; next: { partition: number; offset: number } | null };
}

const PAGE = 500;
const REPORTED = 1_000;

function matches(letter: DeadLetter, filter: DeadLetterFilter, key: Buffer | undefined): boolean {
  if (key !== undefined && (letter.key === null || !letter.key.equals(key))) return false;
  if (filter.since !== undefined && letter.dlq.timestamp < filter.since) return false;
  if (filter.until !== undefined && letter.dlq.timestamp >= filter.until) return false;
  return true;
}

/**
 * Yields pages of the records of `topic` matching `filter`, partition by partition in offset order; records
 * that are not dead letters come as `{ record }` alone.
 */
async function* scan(
  admin: Admin,
  topic: string,
  filter: DeadLetterFilter,
): AsyncGenerator<{ record: BrokerRecord; letter?: DeadLetter }[]> {
  const info = await admin.describeTopic(topic);
  const key = filter.key === undefined ? undefined : Buffer.from(filter.key);
  let left = filter.limit ?? Number.POSITIVE_INFINITY;
  for (const { partition, latest } of [...info.partitions].sort((a, b) => a.partition - b.partition)) {
    let offset = filter.fromOffset ?? 0;
    while (offset < latest && left > 0) {
      const records = await admin.read({ topic, partition, offset }, PAGE);
      if (records.length === 0) break;
      offset = records[records.length - 1].offset + 1;
      const page: { record: BrokerRecord; letter?: DeadLetter }[] = [];
      for (const record of records) {
        if (left <= 0 || record.offset >= latest) break;
        const letter = parseDeadLetter(record);
        if (letter !== undefined && !matches(letter, filter, key)) continue;
        page.push({ record, letter });
        left -= 1;
      }
      yield page;
    }
  }
}

/** The dead letters of `topic` matching `filter` (default limit 100). */
export async function listDeadLetters(
  admin: Admin,
  topic: string,
  filter: DeadLetterFilter = {},
): Promise<DeadLetterView[]> {
  const out: DeadLetterView[] = [];
  for await (const page of scan(admin, topic, { ...filter, limit: filter.limit ?? 100 })) {
    for (const { letter } of page) if (letter !== undefined) out.push(deadLetterView(letter));
  }
  return out;
}

/**
 * Re-publishes dead letters of `topic` to their origin topics: same key, value and headers (minus `herald.dlq.*`),
 * to the origin partition when the topic still has it (else by key), with `herald.replay.count` raised by one and
 * `herald.replay.from` naming the dead letter. A dead letter stays in its topic (a log is append-only): replaying
 * the same range twice replays twice — narrow by `since`/`fromOffset`, and mind `maxReplays`.
 *
 * Records are sent in dead-letter order, in batches that are durable before the next is read.
 */
export async function replayDeadLetters(
  admin: Admin,
  producer: Producer,
  topic: string,
  options: ReplayOptions = {},
  signal?: AbortSignal,
): Promise<ReplayReport> {
  if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
    throw new HeraldError('HERALD_INVALID_ARGUMENT', `ratePerSecond must be > 0, not ${options.ratePerSecond}`);
  }
  const maxReplays = options.maxReplays ?? 10;
  const dryRun = options.dryRun === true;
  const report: ReplayReport = { topic, dryRun, matched: 0, replayed: 0, skipped: [], records: [] };
  const origins = new Map<string, Promise<TopicInfo | undefined>>();
  const origin = (name: string) => {
    let info = origins.get(name);
    if (info === undefined) {
      info = admin.describeTopic(name).catch((err: unknown) => {
        if (isHeraldError(err, 'HERALD_TOPIC_NOT_FOUND')) return undefined;
        throw err;
      });
      origins.set(name, info);
    }
    return info;
  };
  const started = Date.now();
  for await (const page of scan(admin, topic, options)) {
    if (signal?.aborted) {
      report.cancelled = cancellation(signal, page[0]?.record ?? null);
      break;
    }
    const batch: OutgoingRecord[] = [];
    const from: BrokerRecord[] = [];
    for (const { record, letter } of page) {
      const skip = (reason: string) =>
        report.skipped.push({ partition: record.partition, offset: record.offset, reason });
      if (letter === undefined) {
        skip('not a dead letter (no herald.dlq.topic header)');
        continue;
      }
      report.matched += 1;
      if (report.records.length < REPORTED) report.records.push(deadLetterView(letter));
      if (letter.replayCount >= maxReplays) {
        skip(`replayed ${letter.replayCount} times already (maxReplays ${maxReplays}): likely a loop`);
        continue;
      }
      const info = await origin(letter.origin.topic);
      if (info === undefined) {
        skip(`origin topic ${letter.origin.topic} does not exist`);
        continue;
      }
      const out: OutgoingRecord = {
        topic: letter.origin.topic,
        key: letter.key,
        value: letter.value,
        headers: {
          ...letter.headers,
          [HEADERS.replayCount]: String(letter.replayCount + 1),
          [HEADERS.replayedFrom]: `${topic}/${record.partition}/${record.offset}`,
        },
      };
      if (info.partitions.some((p) => p.partition === letter.origin.partition)) out.partition = letter.origin.partition;
      batch.push(out);
      from.push(record);
    }
    if (dryRun) continue;
    await sendPaced(producer, batch, from, { rate: options.ratePerSecond, started, signal }, report);
    if (report.cancelled !== undefined) break;
  }
  return report;
}

function cancellation(signal: AbortSignal, next: BrokerRecord | null): NonNullable<ReplayReport['cancelled']> {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'cancelled';
  return { reason, next: next === null ? null : { partition: next.partition, offset: next.offset } };
}

/**
 * Sends `batch` (re-publications of the dead letters `from`) in chunks, never faster than `rate` records per
 * second since `started`; stops before the next chunk once `signal` aborts, noting where in `report.cancelled`.
 */
async function sendPaced(
  producer: Producer,
  batch: OutgoingRecord[],
  from: BrokerRecord[],
  pace: { rate: number | undefined; started: number; signal: AbortSignal | undefined },
  report: ReplayReport,
): Promise<void> {
  const { rate, started, signal } = pace;
  const chunk = rate === undefined ? PAGE : Math.max(1, Math.min(PAGE, Math.floor(rate / 10)));
  for (let i = 0; i < batch.length; i += chunk) {
    const part = batch.slice(i, i + chunk);
    if (rate !== undefined) {
      const due = started + ((report.replayed + part.length) * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now(), undefined, { signal }).catch(() => {});
    }
    if (signal?.aborted) {
      report.cancelled = cancellation(signal, from[i]);
      return;
    }
    await producer.send(part);
    report.replayed += part.length;
  }
}
