/**
 * Kafka's record batch, magic v2 (the only format since Kafka 0.11 that current clients send): decoding what
 * producers send, with its CRC-32C checked and its records decompressed, and encoding stored records for fetch
 * responses (uncompressed).
 *
 * Layout: baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc uint32 (CRC-32C of
 * everything after it), attributes int16, lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64,
 * producerId int64, producerEpoch int16, baseSequence int32, recordCount int32, then the records (compressed as a
 * whole when attributes say so), each: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 * key, value (varint length, -1 for null), header count varint, headers (varint-length name and value).
 */
import type { Headers } from '../../../port.ts';
import { KafkaError, type KafkaErrorCode } from '../wire/errors.ts';
import { utf8Length, writeUtf8 } from '../../../../kit/utf8.ts';
import { crc32c } from '../wire/crc32c.ts';
import { Reader } from '../wire/reader.ts';
import { decompress, DecompressError } from './compression/index.ts';
import { type PlainRecords, scanPlain } from './plain.ts';

/** Bytes before the records. */
export const BATCH_HEADER = 61;
/** Offset of the CRC and of the first byte it covers. */
export const CRC_AT = 17;
export const ATTRIBUTES_AT = 21;
/** Attribute bit of a batch written inside a transaction. */
export const TRANSACTIONAL_ATTRIBUTE = 0x10;

/** A record as a producer sent it; byte strings are views into the request (or its decompressed copy). */
export interface IncomingRecord {
  offsetDelta: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** Name and value bytes, in the order sent (Kafka allows repeats and null values). */
  headers: readonly [name: Uint8Array, value: Uint8Array | null][];
}

/** The headers of every record without any (most records): one shared, never changed. */
const NO_HEADERS: IncomingRecord['headers'] = Object.freeze([]);

export interface IncomingBatch {
  /** The offset the sender put there (producers send 0; fetched batches carry their first offset). */
  baseOffset: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  compression: number;
  /** `true` when attributes say LogAppendTime. */
  logAppendTime: boolean;
  transactional: boolean;
  control: boolean;
  records: IncomingRecord[];
  /**
   * With {@link decodeBatches}' `plain`: set when the batch is uncompressed and every record plain (see
   * `scanPlain`); `records` is then decoded only when first read.
   */
  plain?: PlainRecords;
  /** The batch's bytes as sent: a view into the request. */
  bytes: Buffer;
}

/** A batch Kafka would refuse: the partition gets `code`, the rest of the request goes on. */
export class BatchError extends Error {
  readonly code: KafkaErrorCode;
  constructor(code: KafkaErrorCode, message: string) {
    super(message);
    this.name = 'BatchError';
    this.code = code;
  }
}

function corrupt(message: string): BatchError {
  return new BatchError(KafkaError.CORRUPT_MESSAGE, message);
}

function readRecords(r: Reader, count: number, baseTimestamp: number): IncomingRecord[] {
  const records: IncomingRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (length < 0 || length > r.remaining) throw corrupt(`record ${i} claims ${length} bytes`);
    const end = r.pos + length;
    r.skip(1); // record attributes: unused
    const timestamp = baseTimestamp + r.varlong();
    const offsetDelta = r.varint();
    const keyLength = r.varint();
    const key = keyLength < 0 ? null : r.view(keyLength);
    const valueLength = r.varint();
    const value = valueLength < 0 ? null : r.view(valueLength);
    const headerCount = r.varint();
    if (headerCount < 0 || headerCount > end - r.pos) throw corrupt(`record ${i} claims ${headerCount} headers`);
    let headers = NO_HEADERS;
    if (headerCount > 0) {
      const list: [Uint8Array, Uint8Array | null][] = new Array(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const nameLength = r.varint();
        if (nameLength < 0) throw corrupt(`record ${i}: a header without a name`);
        const name = r.view(nameLength);
        const headerLength = r.varint();
        list[h] = [name, headerLength < 0 ? null : r.view(headerLength)];
      }
      headers = list;
    }
    if (r.pos !== end) throw corrupt(`record ${i} is not ${length} bytes long`);
    records[i] = { offsetDelta, timestamp, key, value, headers };
  }
  if (r.remaining !== 0) throw corrupt(`${r.remaining} bytes after the last record`);
  return records;
}

/**
 * Decodes the `records` field of a produce request: one or more v2 batches. `maxBytes` bounds what compressed
 * records may inflate to. Throws {@link BatchError} for anything Kafka would refuse. With `plain`, a batch of plain
 * records is only summed up (`IncomingBatch.plain`), and its records decoded if and when read.
 */
export function decodeBatches(data: Buffer, maxBytes: number, plain = false): IncomingBatch[] {
  const batches: IncomingBatch[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < BATCH_HEADER) throw corrupt('truncated record batch header');
    const magic = data.readInt8(at + 16);
    if (magic !== 2) {
      throw new BatchError(KafkaError.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch magic ${magic}; only v2 is accepted`);
    }
    const batchLength = data.readInt32BE(at + 8);
    const end = at + 12 + batchLength;
    if (batchLength < BATCH_HEADER - 12 || end > data.length) throw corrupt(`record batch length ${batchLength}`);
    const crc = data.readUInt32BE(at + CRC_AT);
    if (crc32c(data, at + ATTRIBUTES_AT, end) !== crc) throw corrupt('record batch CRC mismatch');
    const r = new Reader(data, at + ATTRIBUTES_AT, end);
    const attributes = r.int16();
    const lastOffsetDelta = r.int32();
    const baseTimestamp = r.int64();
    const maxTimestamp = r.int64();
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const baseSequence = r.int32();
    const count = r.int32();
    const compression = attributes & 7;
    // Every record takes at least 7 bytes: a larger count is a lie.
    if (count < 0 || count > (compression === 0 ? end - r.pos : maxBytes)) throw corrupt(`record count ${count}`);
    const recordsAt = r.pos;
    const summary = plain && compression === 0 && count > 0 ? scanPlain(data, recordsAt, end, count, baseTimestamp) : undefined;
    let records: IncomingRecord[] | undefined;
    try {
      if (summary !== undefined) {
        records = undefined;
      } else if (compression === 0) {
        records = readRecords(r, count, baseTimestamp);
      } else {
        const inflated = decompress(compression, data.subarray(r.pos, end), maxBytes);
        records = readRecords(new Reader(inflated), count, baseTimestamp);
      }
    } catch (err) {
      if (err instanceof BatchError) throw err;
      if (err instanceof DecompressError) throw corrupt(err.message);
      throw corrupt(`malformed records: ${(err as Error).message}`);
    }
    batches.push({
      baseOffset: new Reader(data, at, at + 8).int64(),
      lastOffsetDelta,
      maxTimestamp,
      producerId,
      producerEpoch,
      baseSequence,
      compression,
      logAppendTime: (attributes & 0x08) !== 0,
      transactional: (attributes & TRANSACTIONAL_ATTRIBUTE) !== 0,
      control: (attributes & 0x20) !== 0,
      get records() {
        // Plain records are well formed: the scan read them all.
        records ??= readRecords(new Reader(data, recordsAt, end), count, baseTimestamp);
        return records;
      },
      ...(summary === undefined ? {} : { plain: summary }),
      bytes: data.subarray(at, end),
    });
    at = end;
  }
  return batches;
}

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
