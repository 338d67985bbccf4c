/**
 * Where an admin read starts in each partition: a start spec as operators write it (kcat's `-o`: `beginning`,
 * `end`, an offset, `-N` before the end, `@time`) or a cursor a previous page handed out (`0:5,1:3`: the next offset
 * of each partition read). One grammar for the HTTP query, the CLI flags and both admin implementations.
 */
import type { Admin, PartitionInfo, TopicInfo } from '../broker/port.ts';
import { HeraldError } from '../errors.ts';
import { parseTime } from './times.ts';

/** Where to start in every partition read. */
export type StartSpec =
  | { kind: 'beginning' }
  | { kind: 'end' }
  /** This offset (clamped into what the partition holds). */
  | { kind: 'offset'; offset: number }
  /** `count` records before the end (not before the beginning). */
  | { kind: 'last'; count: number }
  /** The first record stamped at or after `time` (epoch ms). */
  | { kind: 'time'; time: number };

/** The next offset to read in each partition, by partition. */
export type Positions = Map<number, number>;

const CURSOR = /^\d+:\d+(,\d+:\d+)*$/;

function invalid(field: string, message: string): HeraldError {
  return new HeraldError('HERALD_VALIDATION_FAILED', `${field} ${message}`, { details: [{ field, message }] });
}

/**
 * Parses a start spec: `beginning`, `end`, an offset (`42`), `-N` (N records before the end) or `@T` (T as epoch
 * milliseconds or ISO 8601).
 * @throws HeraldError `HERALD_VALIDATION_FAILED` naming `field` for anything else.
 */
export function parseStart(text: string, field = 'offset'): StartSpec {
  if (text === 'beginning' || text === 'earliest') return { kind: 'beginning' };
  if (text === 'end' || text === 'latest') return { kind: 'end' };
  if (/^\d+$/.test(text)) return { kind: 'offset', offset: Number(text) };
  if (/^-\d+$/.test(text)) return { kind: 'last', count: Number(text.slice(1)) };
  if (text.startsWith('@')) {
    try {
      return { kind: 'time', time: parseTime(text.slice(1), field)! };
    } catch {
      // Reported below with the whole grammar.
    }
  }
  throw invalid(field, 'must be beginning, end, an offset, -N (N before the end) or @time (epoch ms or ISO 8601)');
}

/** A start spec as {@link parseStart} reads it (times as epoch milliseconds). */
export function formatStart(start: StartSpec): string {
  switch (start.kind) {
    case 'beginning':
    case 'end':
      return start.kind;
    case 'offset':
      return String(start.offset);
    case 'last':
      return `-${start.count}`;
    case 'time':
      return `@${start.time}`;
  }
}

/**
 * Where a read given as text (a query string, a body, flags) starts: `offset` (a start spec, or a plain offset
 * number) or `cursor`, not both.
 * @throws HeraldError `HERALD_VALIDATION_FAILED` for a bad spec or cursor, or both given.
 */
export function readStart(offset: string | number | undefined, cursor: string | undefined) {
  if (offset !== undefined && cursor !== undefined) {
    throw invalid('cursor', 'continues a previous page: give it without offset');
  }
  return {
    start: offset === undefined ? undefined : parseStart(String(offset)),
    cursor: cursor === undefined ? undefined : parseCursor(cursor),
  };
}

/** `0:5,1:3`: the next offset of each partition, by partition number. */
export function formatCursor(positions: Positions): string {
  return [...positions]
    .sort(([a], [b]) => a - b)
    .map(([partition, offset]) => `${partition}:${offset}`)
    .join(',');
}

/**
 * Parses a cursor of {@link formatCursor}.
 * @throws HeraldError `HERALD_VALIDATION_FAILED` for text that is not one.
 */
export function parseCursor(text: string, field = 'cursor'): Positions {
  if (!CURSOR.test(text)) throw invalid(field, 'must be a cursor from a previous page (partition:offset,…)');
  const positions: Positions = new Map();
  for (const pair of text.split(',')) {
    const [partition, offset] = pair.split(':').map(Number);
    if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(offset) || positions.has(partition)) {
      throw invalid(field, 'must be a cursor from a previous page (partition:offset,…)');
    }
    positions.set(partition, offset);
  }
  return positions;
}

/** The partitions of `info` a read covers: one, or all. */
export function partitionsOf(info: TopicInfo, only: number | undefined): PartitionInfo[] {
  if (only === undefined) return [...info.partitions].sort((a, b) => a.partition - b.partition);
  const found = info.partitions.find((p) => p.partition === only);
  if (found === undefined) {
    throw new HeraldError(
      'HERALD_PARTITION_OUT_OF_RANGE',
      `topic ${info.name} has no partition ${only} (it has ${info.partitions.length})`,
    );
  }
  return [found];
}

/** The offset `start` names in one partition; time lookups read the partition (a binary search, `log n` reads). */
export async function resolveStart(admin: Admin, topic: string, p: PartitionInfo, start: StartSpec): Promise<number> {
  switch (start.kind) {
    case 'beginning':
      return p.earliest;
    case 'end':
      return p.latest;
    case 'offset':
      return Math.min(Math.max(start.offset, p.earliest), p.latest);
    case 'last':
      return Math.max(p.earliest, p.latest - start.count);
    case 'time':
      return offsetForTime(admin, topic, p, start.time);
  }
}

/**
 * The first offset of the partition whose record is stamped at or after `time` (the end when none is), found by
 * bisection as Kafka's ListOffsets does over its time index: exact when timestamps grow with offsets, as they do
 * for records stamped by their producer at send time.
 */
async function offsetForTime(admin: Admin, topic: string, p: PartitionInfo, time: number): Promise<number> {
  let low = p.earliest;
  let high = p.latest;
  while (low < high) {
    const middle = low + Math.floor((high - low) / 2);
    const [record] = await admin.read({ topic, partition: p.partition, offset: middle }, 1);
    if (record === undefined || record.offset >= high) high = middle;
    else if (record.timestamp >= time) high = middle;
    else low = record.offset + 1;
  }
  return low;
}

/**
 * The positions a read starts from: the cursor's (each clamped into what its partition holds now; partitions the
 * cursor names must exist), or `start` resolved in every partition covered.
 */
export async function startPositions(
  admin: Admin,
  info: TopicInfo,
  options: { partition?: number; start?: StartSpec; cursor?: Positions },
): Promise<Positions> {
  const positions: Positions = new Map();
  if (options.cursor !== undefined) {
    for (const [partition, offset] of options.cursor) {
      const p = partitionsOf(info, partition)[0];
      positions.set(partition, Math.min(Math.max(offset, p.earliest), p.latest));
    }
    return positions;
  }
  const start = options.start ?? { kind: 'beginning' };
  for (const p of partitionsOf(info, options.partition)) {
    positions.set(p.partition, await resolveStart(admin, info.name, p, start));
  }
  return positions;
}
