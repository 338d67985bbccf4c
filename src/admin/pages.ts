/**
 * Admin reads as pages: records of one partition or all (merged by timestamp), bounded by a count and by a
 * response byte budget, each page saying where the next one starts. Messages, dead letters and the replay report
 * are all collected here, so none of them can grow with the topic.
 */
import type { Admin, BrokerRecord } from '../broker/port.ts';
import { HeraldError } from '../errors.ts';
import { MergedScan } from './merged-scan.ts';
import { formatCursor, type Positions, type StartSpec, startPositions } from './positions.ts';
import { type RecordView, recordView } from './records.ts';

/** Default response byte budget of one page. */
export const DEFAULT_PAGE_BYTES = 4 * 1_048_576;
/** Largest byte budget a caller may ask for. */
export const MAX_PAGE_BYTES = 64 * 1_048_576;
/** Most records one page scans when a filter skips them, so a selective filter on a big topic answers in time. */
export const MAX_SCANNED = 50_000;

/** Which records of a topic to read. */
export interface ReadQuery {
  topic: string;
  /** Only this partition; default every partition, merged by timestamp. */
  partition?: number;
  /** Where to start in each partition (default the beginning). Ignored with `cursor`. */
  start?: StartSpec;
  /** Continue where a previous page stopped (its `next`); the partitions it names are the ones read. */
  cursor?: Positions;
  /** Most records in the page. Default 100. */
  limit?: number;
  /** Only records with this key (UTF-8); others are skipped, at most {@link MAX_SCANNED} read per page. */
  key?: string;
  /** Most bytes of JSON in the page (at least one record is always given). Default 4 MiB. */
  maxBytes?: number;
}

/** Why a page ended before the records did. */
export type PageLimit = 'limit' | 'bytes' | 'scanned';

/** One page of a read. */
export interface Page<T> {
  /** Cursor to pass back (`cursor=`) for the records after this page, also those written since. */
  next: string;
  /** Records remain after this page among those that existed when it was read. */
  more: boolean;
  /** Present when `more`: what ended the page (the record count, the byte budget, or the scan cap of a filter). */
  limitedBy?: PageLimit;
  items: T[];
}

/** A page of records as the admin API answers it. */
export interface MessagePage {
  records: RecordView[];
  next: string;
  more: boolean;
  limitedBy?: PageLimit;
}

/** JSON bytes a value adds to a response. */
export const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** @throws HeraldError `HERALD_VALIDATION_FAILED` for a budget outside 1 KiB..{@link MAX_PAGE_BYTES}. */
function checkBudget(maxBytes: number | undefined): number {
  const bytes = maxBytes ?? DEFAULT_PAGE_BYTES;
  if (!Number.isSafeInteger(bytes) || bytes < 1_024 || bytes > MAX_PAGE_BYTES) {
    const message = `must be an integer from 1024 to ${MAX_PAGE_BYTES}`;
    throw new HeraldError('HERALD_VALIDATION_FAILED', `maxBytes ${message}`, {
      details: [{ field: 'maxBytes', message }],
    });
  }
  return bytes;
}

/** A scan of the records `query` selects, up to each partition's end as of now. */
export async function openScan(admin: Admin, query: ReadQuery): Promise<MergedScan> {
  const info = await admin.describeTopic(query.topic);
  const from = await startPositions(admin, info, query);
  const ends = new Map(info.partitions.map((p) => [p.partition, p.latest]));
  return new MergedScan(admin, query.topic, from, ends);
}

/**
 * Collects one page: records in merged order, each turned into an item by `view` (`undefined` skips it — a filter),
 * until `limit` items, the byte budget (the item that would exceed it is left for the next page, unless it is the
 * first), or — when a filter skips records — {@link MAX_SCANNED} records read.
 */
export async function collectPage<T>(
  admin: Admin,
  query: ReadQuery,
  view: (record: BrokerRecord) => T | undefined,
): Promise<Page<T>> {
  const budget = checkBudget(query.maxBytes);
  const limit = query.limit ?? 100;
  const scan = await openScan(admin, query);
  const items: T[] = [];
  let bytes = 2;
  let limitedBy: PageLimit | undefined;
  for (;;) {
    if (items.length >= limit) {
      limitedBy = 'limit';
      break;
    }
    if (scan.scanned >= MAX_SCANNED) {
      limitedBy = 'scanned';
      break;
    }
    const record = await scan.peek({ records: limit - items.length, bytes: Math.max(budget - bytes, 1) });
    if (record === undefined) break;
    const item = view(record);
    if (item !== undefined) {
      const size = jsonBytes(item) + 1;
      if (items.length > 0 && bytes + size > budget) {
        limitedBy = 'bytes';
        break;
      }
      items.push(item);
      bytes += size;
    }
    scan.take(record);
  }
  const more = scan.more;
  const page: Page<T> = { next: formatCursor(scan.positions()), more, items };
  if (more && limitedBy !== undefined) page.limitedBy = limitedBy;
  return page;
}

/** A page of a topic's records as JSON-friendly views (see {@link ReadQuery}). */
export async function readMessages(admin: Admin, query: ReadQuery): Promise<MessagePage> {
  const key = query.key === undefined ? undefined : Buffer.from(query.key);
  const view = key === undefined ? recordView : (r: BrokerRecord) => (r.key?.equals(key) === true ? recordView(r) : undefined);
  const { items, ...rest } = await collectPage(admin, query, view);
  return { records: items, ...rest };
}
