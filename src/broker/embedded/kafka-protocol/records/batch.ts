/**
 * Kafka's record batch, magic v2 (the only format since Kafka 0.11 that current clients send): decoding what
 * producers send, with its CRC-32C checked and its records decompressed. Encoding is in `encode-batch.ts`.
 *
 * Layout: baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8, crc uint32 (CRC-32C of
 * everything after it), attributes int16, lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64,
 * producerId int64, producerEpoch int16, baseSequence int32, recordCount int32, then the records (compressed as a
 * whole when attributes say so), each: length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
 * key, value (varint length, -1 for null), header count varint, headers (varint-length name and value).
 */
import { KafkaError, type KafkaErrorCode } from '../wire/errors.ts';
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
