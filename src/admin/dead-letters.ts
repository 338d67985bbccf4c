import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, BrokerRecord, OutgoingRecord, Producer, TopicInfo } from '../broker/port.ts';
import { HeraldError, isHeraldError } from '../errors.ts';
import { type DeadLetter, parseDeadLetter } from '../runtime/dlq/envelope.ts';
import { HEADERS } from '../runtime/headers.ts';
import { isDeadLetterTopic } from '../runtime/names.ts';
import { type DeadLetterView, deadLetterView } from './dead-letter-view.ts';
import { collectPage, DEFAULT_PAGE_BYTES, jsonBytes, openScan, type PageLimit, type ReadQuery } from './pages.ts';
import { formatCursor } from './positions.ts';
import { ReplayMarks } from './replay-marks.ts';

/** Which dead letters of a dead-letter topic to list or replay. Every field narrows; none means all. */
export interface DeadLetterFilter extends Pick<ReadQuery, 'start' | 'cursor' | 'maxBytes'> {
  /** Only records with this key (UTF-8). */
  key?: string;
  /** Only records dead-lettered at or after this time (epoch ms). */
  since?: number;
  /** Only records dead-lettered before this time (epoch ms). */
  until?: number;
  /** Listing: the page size (default 100). Replay: stop after this many matches (default all). */
  limit?: number;
}

/** A page of dead letters, oldest first, with where the next page starts (see `Page`). */
export interface DeadLetterPage {
  deadLetters: DeadLetterView[];
  next: string;
  more: boolean;
  limitedBy?: PageLimit;
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
  /** Replay dead letters that were replayed before too (otherwise they are skipped, and the report says so). */
  again?: boolean;
}

/** One matching dead letter not replayed, and why. */
export interface SkippedLetter {
  partition: number;
  offset: number;
  reason: string;
}

export interface ReplayReport {
  topic: string;
  dryRun: boolean;
  /** Dead letters matching the filter. */
  matched: number;
  /** Re-published to their origin topics (0 for a dry run). */
  replayed: number;
  /** Matching records not replayed. */
  skipped: number;
  /** The first {@link SKIPPED_LISTED} of them, with why. */
  skippedRecords: SkippedLetter[];
  /** The first matched dead letters (the dry run's answer to "what would be replayed"), within the byte budget. */
  records: DeadLetterView[];
  /** `records` or `skippedRecords` lists fewer than there were. */
  truncated: boolean;
  /** Cursor after the last dead letter looked at: where a later replay of newer dead letters would start. */
  next: string;
  /**
   * Present when the replay was stopped before the end (the server shutting down): why, and the first dead
   * letter not replayed.
   */
  cancelled?: { reason: string; next: { partition: number; offset: number } | null };
}

const PAGE = 500;
/** Most matched dead letters a report lists. */
const REPORTED = 1_000;
/** Most skipped dead letters a report lists. */
export const SKIPPED_LISTED = 100;

/** @throws HeraldError `HERALD_INVALID_ARGUMENT` unless `topic` is named like a dead-letter topic. */
function checkDeadLetterTopic(topic: string): void {
  if (!isDeadLetterTopic(topic)) {
    throw new HeraldError(
      'HERALD_INVALID_ARGUMENT',
      `${topic} is not a dead-letter topic (those are named <topic>.<group>.dlq; GET /admin/dlq lists them)`,
    );
  }
}

function matcher(filter: DeadLetterFilter): (letter: DeadLetter) => boolean {
  const key = filter.key === undefined ? undefined : Buffer.from(filter.key);
  return (letter) => {
    if (key !== undefined && (letter.key === null || !letter.key.equals(key))) return false;
    if (filter.since !== undefined && letter.dlq.timestamp < filter.since) return false;
    if (filter.until !== undefined && letter.dlq.timestamp >= filter.until) return false;
    return true;
  };
}

/**
 * A page of the dead letters of `topic` matching `filter` (default 100), oldest first across partitions, each with
 * its replay mark; `next` continues after it. Records without the envelope are not listed.
 * @throws HeraldError `HERALD_INVALID_ARGUMENT` for a topic that is not a dead-letter topic.
 */
export async function listDeadLetters(
  admin: Admin,
  topic: string,
  filter: DeadLetterFilter = {},
  marks: ReplayMarks = new ReplayMarks(admin),
): Promise<DeadLetterPage> {
  checkDeadLetterTopic(topic);
  await marks.refresh();
  const matches = matcher(filter);
  const { items, ...rest } = await collectPage(admin, { ...filter, topic }, (record: BrokerRecord) => {
    const letter = parseDeadLetter(record);
    if (letter === undefined || !matches(letter)) return undefined;
    return deadLetterView(letter, marks.get(topic, record.partition, record.offset));
  });
  return { deadLetters: items, ...rest };
}

/**
 * Re-publishes dead letters of `topic` to their origin topics: same key, value and headers (minus `herald.dlq.*`),
 * to the origin partition when the topic still has it (else by key), with `herald.replay.count` raised by one and
 * `herald.replay.from` naming the dead letter. A dead letter stays in its topic (a log is append-only); each one
 * replayed is marked (`ReplayMarks`), and a marked one is skipped unless `again` is set.
 *
 * Dead letters are taken oldest first across partitions (each partition's order kept), up to the end of the topic
 * as it was when the replay began, and sent in batches that are durable before the next is read. The report counts
 * everything and lists a bounded sample.
 * @throws HeraldError `HERALD_INVALID_ARGUMENT` for a topic that is not a dead-letter topic or a bad rate.
 */
export async function replayDeadLetters(
  admin: Admin,
  producer: Producer,
  topic: string,
  options: ReplayOptions = {},
  marks: ReplayMarks = new ReplayMarks(admin),
  signal?: AbortSignal,
): Promise<ReplayReport> {
  checkDeadLetterTopic(topic);
  if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0)) {
    throw new HeraldError('HERALD_INVALID_ARGUMENT', `ratePerSecond must be > 0, not ${options.ratePerSecond}`);
  }
  await marks.refresh();
  const maxReplays = options.maxReplays ?? 10;
  const dryRun = options.dryRun === true;
  const budget = options.maxBytes ?? DEFAULT_PAGE_BYTES;
  const report: ReplayReport = {
    topic,
    dryRun,
    matched: 0,
    replayed: 0,
    skipped: 0,
    skippedRecords: [],
    records: [],
    truncated: false,
    next: '',
  };
  let reportBytes = 0;
  const origins = originLookup(admin);
  const matches = matcher(options);
  const left = () => (options.limit ?? Number.POSITIVE_INFINITY) - report.matched;
  const scan = await openScan(admin, { ...options, topic });
  const started = Date.now();
  for (let batch: { out: OutgoingRecord; at: BrokerRecord }[] = []; ; batch = []) {
    while (batch.length < PAGE && left() > 0) {
      const record = await scan.peek({ records: Math.min(PAGE, left()), bytes: DEFAULT_PAGE_BYTES });
      if (record === undefined) break;
      scan.take(record);
      const skip = (reason: string) => {
        report.skipped += 1;
        if (report.skippedRecords.length < SKIPPED_LISTED) {
          report.skippedRecords.push({ partition: record.partition, offset: record.offset, reason });
        } else report.truncated = true;
      };
      const letter = parseDeadLetter(record);
      if (letter !== undefined && !matches(letter)) continue;
      if (letter === undefined) {
        skip('not a dead letter (no herald.dlq.topic header)');
        continue;
      }
      report.matched += 1;
      const mark = marks.get(topic, record.partition, record.offset);
      const view = deadLetterView(letter, mark);
      const size = jsonBytes(view);
      if (report.records.length < REPORTED && reportBytes + size <= budget) {
        report.records.push(view);
        reportBytes += size;
      } else report.truncated = true;
      if (mark !== undefined && options.again !== true) {
        const last = new Date(mark.lastAt).toISOString();
        skip(`replayed already (${mark.count} time${mark.count === 1 ? '' : 's'}, last at ${last}); again: true replays it again`);
        continue;
      }
      if (letter.replayCount >= maxReplays) {
        skip(`replayed ${letter.replayCount} times already (maxReplays ${maxReplays}): likely a loop`);
        continue;
      }
      const info = await origins(letter.origin.topic);
      if (info === undefined) {
        skip(`origin topic ${letter.origin.topic} does not exist`);
        continue;
      }
      batch.push({ out: replayRecord(topic, record, letter, info), at: record });
    }
    if (batch.length === 0) break;
    if (!dryRun) await sendPaced(producer, batch, { rate: options.ratePerSecond, started, signal }, report, marks, topic);
    if (report.cancelled !== undefined) break;
  }
  report.next = formatCursor(scan.positions());
  return report;
}

function replayRecord(topic: string, record: BrokerRecord, letter: DeadLetter, info: TopicInfo): OutgoingRecord {
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
  return out;
}

/** Describes origin topics once each; a missing one is `undefined`. */
function originLookup(admin: Admin): (name: string) => Promise<TopicInfo | undefined> {
  const origins = new Map<string, Promise<TopicInfo | undefined>>();
  return (name) => {
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
}

/**
 * Sends `batch` in chunks, never faster than `rate` records per second since `started`, marking each chunk; stops
 * before the next chunk once `signal` aborts, noting where in `report.cancelled`.
 */
async function sendPaced(
  producer: Producer,
  batch: { out: OutgoingRecord; at: BrokerRecord }[],
  pace: { rate: number | undefined; started: number; signal: AbortSignal | undefined },
  report: ReplayReport,
  marks: ReplayMarks,
  topic: string,
): Promise<void> {
  const { rate, started, signal } = pace;
  const chunk = rate === undefined ? PAGE : Math.max(1, Math.min(PAGE, Math.floor(rate / 10)));
  for (let i = 0; i < batch.length; i += chunk) {
    const part = batch.slice(i, i + chunk);
    if (rate !== undefined) {
      const due = started + ((report.replayed + part.length) * 1000) / rate;
      // An abort ends the wait at once; the check below then stops the replay.
      if (due > Date.now()) await sleep(due - Date.now(), undefined, { signal }).catch(() => {});
    }
    if (signal?.aborted) {
      const reason = signal.reason instanceof Error ? signal.reason.message : 'cancelled';
      report.cancelled = { reason, next: { partition: part[0].at.partition, offset: part[0].at.offset } };
      return;
    }
    await producer.send(part.map((p) => p.out));
    report.replayed += part.length;
    await marks.mark(producer, topic, part.map((p) => p.at), Date.now());
  }
}
