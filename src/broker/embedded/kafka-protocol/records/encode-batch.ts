/**
 * Encoding Kafka's record batch v2 (layout in `batch.ts`): the embedded log's stored batches and fetch responses,
 * uncompressed.
 */
import type { Headers } from '../../../port.ts';
import { utf8Length, writeUtf8 } from '../../../../kit/utf8.ts';
import { crc32c } from '../wire/crc32c.ts';
import { ATTRIBUTES_AT, BATCH_HEADER, CRC_AT } from './batch.ts';

/**
 * A record to encode: offset, timestamp, key, value, and headers — Herald's (UTF-8 text under names) or Kafka's
 * name/value byte pairs. The embedded log's {@link RecordRow} is one.
 */
export type OutgoingRecord = readonly [
  offset: number,
  timestamp: number,
  key: Uint8Array | null,
  value: Uint8Array | null,
  headers: Headers | readonly (readonly [name: Uint8Array, value: Uint8Array])[] | null,
];

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

function varintSize(v: number): number {
  return uvarintSize(zigzag(v));
}

function writeVarint(buf: Buffer, at: number, v: number): number {
  let u = zigzag(v);
  while (u >= 0x80) {
    buf[at++] = (u % 0x80) | 0x80;
    u = Math.floor(u / 0x80);
  }
  buf[at++] = u;
  return at;
}

function writeBytes(buf: Buffer, at: number, bytes: Uint8Array | null): number {
  if (bytes === null) return writeVarint(buf, at, -1);
  at = writeVarint(buf, at, bytes.byteLength);
  buf.set(bytes, at);
  return at + bytes.byteLength;
}

function writeText(buf: Buffer, at: number, text: string): number {
  const length = utf8Length(text);
  return writeUtf8(buf, writeVarint(buf, at, length), text, length);
}

/** Returned by {@link writeAsciiText} when the text is not ASCII: its size was counted wrong. */
const NOT_ASCII = -1;

/**
 * Writes `text` with its varint length, assuming it is ASCII (one byte a character, as {@link headersSize}
 * counted it when `ascii`): checking and copying in one pass, rather than measuring UTF-8 twice and copying once
 * (text headers were ~0.7 µs a record, most of a 100-record batch's encoding, measured alone). Returns
 * {@link NOT_ASCII} at the first character that is not.
 */
function writeAsciiText(buf: Buffer, at: number, text: string): number {
  const length = text.length;
  at = writeVarint(buf, at, length);
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return NOT_ASCII;
    buf[at + i] = c;
  }
  return at + length;
}

/**
 * Header count and bytes of `headers` as a record carries them. `ascii` counts text headers as if ASCII (their
 * lengths in characters), for {@link writeHeaders}' one-pass path.
 */
function headersSize(headers: OutgoingRecord[4], ascii: boolean): number {
  if (headers === null) return 1;
  let size = 0;
  let count = 0;
  if (Array.isArray(headers)) {
    for (const [name, value] of headers as readonly (readonly [Uint8Array, Uint8Array])[]) {
      size += varintSize(name.byteLength) + name.byteLength + varintSize(value.byteLength) + value.byteLength;
      count++;
    }
  } else {
    const text = headers as Headers;
    for (const name in text) {
      const n = ascii ? name.length : utf8Length(name);
      const v = ascii ? text[name].length : utf8Length(text[name]);
      size += varintSize(n) + n + varintSize(v) + v;
      count++;
    }
  }
  return varintSize(count) + size;
}

/** Writes `headers`; with `ascii` (sized so), returns {@link NOT_ASCII} if a text header is not ASCII. */
function writeHeaders(buf: Buffer, at: number, headers: OutgoingRecord[4], ascii: boolean): number {
  if (headers === null) return writeVarint(buf, at, 0);
  if (Array.isArray(headers)) {
    const pairs = headers as readonly (readonly [Uint8Array, Uint8Array])[];
    at = writeVarint(buf, at, pairs.length);
    for (const [name, value] of pairs) {
      at = writeBytes(buf, at, name);
      at = writeBytes(buf, at, value);
    }
    return at;
  }
  const text = headers as Headers;
  let count = 0;
  for (const _ in text) count++;
  at = writeVarint(buf, at, count);
  for (const name in text) {
    if (ascii) {
      at = writeAsciiText(buf, at, name);
      if (at !== NOT_ASCII) at = writeAsciiText(buf, at, text[name]);
      if (at === NOT_ASCII) return NOT_ASCII;
    } else {
      at = writeText(buf, at, name);
      at = writeText(buf, at, text[name]);
    }
  }
  return at;
}

function bodySize(r: OutgoingRecord, baseOffset: number, baseTimestamp: number, ascii: boolean): number {
  return (
    1 +
    varintSize(r[1] - baseTimestamp) +
    varintSize(r[0] - baseOffset) +
    (r[2] === null ? 1 : varintSize(r[2].byteLength) + r[2].byteLength) +
    (r[3] === null ? 1 : varintSize(r[3].byteLength) + r[3].byteLength) +
    headersSize(r[4], ascii)
  );
}

/**
 * Encodes `records[start, end)` (ascending offsets, possibly with gaps left by compaction) as one uncompressed v2
 * batch with no producer id, as the embedded log stores it and a fetch response carries it. `lastOffset`
 * (default: the last record's) may lie beyond the last record: the offsets after it were removed, and the batch
 * still covers them. `withCrc: false` leaves the CRC 0, for {@link ensureCrc} to fill in if the batch is ever
 * sent to a Kafka client (the embedded log stores batches so: the CRC was ~30% of encoding one).
 */
export function encodeBatch(
  records: readonly OutgoingRecord[],
  leaderEpoch = 0,
  lastOffset?: number,
  start = 0,
  end = records.length,
  withCrc = true,
): Buffer {
  // Text headers are nearly always ASCII: sized by their lengths and checked as they are written; a batch with
  // one that is not is encoded again, measured exactly.
  return encodeRecords(records, leaderEpoch, lastOffset, start, end, withCrc, true) ??
    encodeRecords(records, leaderEpoch, lastOffset, start, end, withCrc, false)!;
}

/** {@link encodeBatch}; with `ascii`, `undefined` when a text header is not ASCII. */
function encodeRecords(
  records: readonly OutgoingRecord[],
  leaderEpoch: number,
  lastOffset: number | undefined,
  start: number,
  end: number,
  withCrc: boolean,
  ascii: boolean,
): Buffer | undefined {
  const first = records[start];
  const last = records[end - 1];
  const baseOffset = first[0];
  const baseTimestamp = first[1];
  let maxTimestamp = baseTimestamp;
  const sizes = new Array<number>(end - start);
  let total = BATCH_HEADER;
  for (let i = start; i < end; i++) {
    const r = records[i];
    if (r[1] > maxTimestamp) maxTimestamp = r[1];
    const size = bodySize(r, baseOffset, baseTimestamp, ascii);
    sizes[i - start] = size;
    total += varintSize(size) + size;
  }
  const buf = Buffer.allocUnsafe(total);
  writeHeader(buf, {
    baseOffset,
    lastOffsetDelta: (lastOffset ?? last[0]) - baseOffset,
    leaderEpoch,
    baseTimestamp: BigInt(baseTimestamp),
    maxTimestamp: BigInt(maxTimestamp),
    count: end - start,
  });
  let at = BATCH_HEADER;
  for (let i = start; i < end; i++) {
    const r = records[i];
    at = writeVarint(buf, at, sizes[i - start]);
    buf[at++] = 0;
    at = writeVarint(buf, at, r[1] - baseTimestamp);
    at = writeVarint(buf, at, r[0] - baseOffset);
    at = writeBytes(buf, at, r[2]);
    at = writeBytes(buf, at, r[3]);
    at = writeHeaders(buf, at, r[4], ascii);
    if (at === NOT_ASCII) return undefined;
  }
  buf.writeUInt32BE(withCrc ? crc32c(buf, ATTRIBUTES_AT, total) : 0, CRC_AT);
  return buf;
}

/**
 * Fills in the CRC of each batch in `batches` (one or more, back to back) whose CRC is 0 — left so when stored,
 * see {@link encodeBatch}; a batch whose real CRC is 0 gets the same 0 back.
 */
export function ensureCrc(batches: Buffer): void {
  for (let at = 0; at + BATCH_HEADER <= batches.length; ) {
    const end = at + 12 + batches.readInt32BE(at + 8);
    if (batches.readUInt32BE(at + CRC_AT) === 0) batches.writeUInt32BE(crc32c(batches, at + ATTRIBUTES_AT, end), at + CRC_AT);
    at = end;
  }
}

/**
 * A batch with no records over the offsets `baseOffset`…`lastOffset`, all removed by compaction: a consumer
 * fetching there moves past them (Kafka's cleaner leaves such batches too).
 */
export function encodeEmptyBatch(baseOffset: number, lastOffset: number, leaderEpoch = 0): Buffer {
  const buf = Buffer.alloc(BATCH_HEADER);
  // No timestamps: no records.
  writeHeader(buf, { baseOffset, lastOffsetDelta: lastOffset - baseOffset, leaderEpoch, baseTimestamp: -1n, maxTimestamp: -1n, count: 0 });
  buf.writeUInt32BE(crc32c(buf, ATTRIBUTES_AT, BATCH_HEADER), CRC_AT);
  return buf;
}

/**
 * The fixed part of a record batch Herald writes (magic 2, no compression or transaction, no producer id), the CRC
 * excepted: it covers the records written after it. The batch length comes from `buf`'s size.
 */
function writeHeader(
  buf: Buffer,
  h: { baseOffset: number; lastOffsetDelta: number; leaderEpoch: number; baseTimestamp: bigint; maxTimestamp: bigint; count: number },
): void {
  buf.writeInt32BE(Math.floor(h.baseOffset / 4_294_967_296), 0);
  buf.writeUInt32BE(h.baseOffset % 4_294_967_296, 4);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(h.leaderEpoch, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(0, ATTRIBUTES_AT);
  buf.writeInt32BE(h.lastOffsetDelta, 23);
  buf.writeBigInt64BE(h.baseTimestamp, 27);
  buf.writeBigInt64BE(h.maxTimestamp, 35);
  buf.writeInt32BE(-1, 43); // producerId -1
  buf.writeInt32BE(-1, 47);
  buf.writeInt16BE(-1, 51); // producerEpoch
  buf.writeInt32BE(-1, 53); // baseSequence
  buf.writeInt32BE(h.count, 57);
}
