/** Record batches as producers build them, for tests: with a producer id and sequence, compressed or not. */
import zlib from 'node:zlib';
import { encodeBatch, type OutgoingRecord } from '../../../../src/broker/embedded/kafka-protocol/records/encode-batch.ts';
import { crc32c } from '../../../../src/broker/embedded/kafka-protocol/wire/crc32c.ts';

export interface TestRecord {
  key?: string | Buffer | null;
  value?: string | Buffer | null;
  headers?: [string | Buffer, string | Buffer][];
  timestamp?: number;
}

export interface BatchOptions {
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** 1 gzip, 4 zstd (compressed with node:zlib). */
  compression?: 0 | 1 | 4;
  transactional?: boolean;
}

const bytes = (v: string | Buffer | null | undefined): Buffer | null =>
  v === undefined || v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);

/** One v2 batch of `records`, as a producer sends it (offsets from 0). */
export function batch(records: TestRecord[], options: BatchOptions = {}): Buffer {
  const now = Date.now();
  const outgoing: OutgoingRecord[] = records.map((r, i) => [
    i,
    r.timestamp ?? now,
    bytes(r.key),
    r.value === undefined ? Buffer.from(`v${i}`) : bytes(r.value),
    r.headers?.map(([n, v]) => [bytes(n)!, bytes(v)!] as const) ?? null,
  ]);
  let buf = encodeBatch(outgoing);
  if (options.compression) {
    const plain = buf.subarray(61);
    const packed = options.compression === 1 ? zlib.gzipSync(plain) : zlib.zstdCompressSync(plain);
    buf = Buffer.concat([buf.subarray(0, 61), packed]);
    buf.writeInt32BE(buf.length - 12, 8);
  }
  const attributes = (options.compression ?? 0) | (options.transactional ? 0x10 : 0);
  buf.writeInt16BE(attributes, 21);
  buf.writeBigInt64BE(BigInt(options.producerId ?? -1), 43);
  buf.writeInt16BE(options.producerEpoch ?? -1, 51);
  buf.writeInt32BE(options.baseSequence ?? -1, 53);
  buf.writeUInt32BE(crc32c(buf, 21, buf.length), 17);
  return buf;
}

/** A Produce request body (v9 field names) for one partition. */
export function produceBody(topic: string, partition: number, records: Buffer, acks = -1) {
  return { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

/** A Fetch request body for one partition. */
export function fetchBody(
  topic: string,
  partition: number,
  offset: number,
  options: { maxWaitMs?: number; minBytes?: number; partitionMaxBytes?: number; maxBytes?: number; isolationLevel?: 0 | 1 } = {},
) {
  return {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 0,
    maxBytes: options.maxBytes ?? 0x7fffffff,
    isolationLevel: options.isolationLevel ?? 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: '',
        partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: options.partitionMaxBytes ?? 1 << 20 }],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}
