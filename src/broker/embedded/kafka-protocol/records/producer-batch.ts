/**
 * A record batch as a producer sends it — Herald's Kafka producer (`src/broker/kafka/produce-sender.ts`): the
 * records encoded by {@link encodeBatch}, then compressed and stamped with the producer's fields.
 */
import { crc32c } from '../wire/crc32c.ts';
import { ATTRIBUTES_AT, BATCH_HEADER, CRC_AT } from './batch.ts';
import { encodeBatch, type OutgoingRecord } from './encode-batch.ts';

/** What a producer writes in a batch's header: its id and epoch, and the sequence number of the batch's first record. */
export interface BatchProducer {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

/** How a producer's batch is compressed: the codec's attribute bits and the codec. */
export interface BatchCompression {
  bits: number;
  compress(records: Buffer): Buffer;
}

/**
 * A batch as a producer sends it (Herald's Kafka producer): `records` encoded as {@link encodeBatch} does (their
 * offsets are the deltas from 0), compressed when `compression` is given, stamped with `producer`'s fields (-1
 * without one) and `attributes` (e.g. `TRANSACTIONAL_ATTRIBUTE`), and its CRC.
 */
export function encodeProducerBatch(
  records: readonly OutgoingRecord[],
  producer: BatchProducer | null,
  attributes: number,
  compression?: BatchCompression,
): Buffer {
  let batch = encodeBatch(records, 0, undefined, 0, records.length, false);
  if (compression !== undefined) {
    const compressed = compression.compress(batch.subarray(BATCH_HEADER));
    const out = Buffer.allocUnsafe(BATCH_HEADER + compressed.length);
    batch.copy(out, 0, 0, BATCH_HEADER);
    compressed.copy(out, BATCH_HEADER);
    out.writeInt32BE(out.length - 12, 8);
    attributes |= compression.bits;
    batch = out;
  }
  batch.writeInt16BE(attributes, ATTRIBUTES_AT);
  if (producer !== null) {
    batch.writeBigInt64BE(producer.producerId, 43);
    batch.writeInt16BE(producer.producerEpoch, 51);
    batch.writeInt32BE(producer.baseSequence, 53);
  }
  batch.writeUInt32BE(crc32c(batch, ATTRIBUTES_AT, batch.length), CRC_AT);
  return batch;
}
