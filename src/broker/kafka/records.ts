/**
 * Records between Herald and Kafka's wire format: their size on the wire, and turning fetched record batches into
 * {@link BrokerRecord}s (offsets and timestamps as numbers, headers as UTF-8 strings). What callers hand to `send`
 * is checked by the port's rules (`../rules.ts`).
 */
import type { RecordsBatch } from '@platformatic/kafka';
import type { BrokerRecord, Headers, OutgoingRecord } from '../port.ts';

/** Batch attribute bits (Kafka's `RecordBatch`): timestamp type, transactional batch, control batch. */
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL_BATCH = 0x10;
const CONTROL_BATCH = 0x20;
/** Control record type (the second int16 of a control record's key): the end of an aborted transaction. */
const ABORT_MARKER = 0;

/** A transaction a Fetch response reports as aborted in the fetched range (`abortedTransactions`). */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** Bytes a record costs on the wire besides its key, value and headers (varints, attributes, deltas). */
export const RECORD_OVERHEAD = 24;


/** Approximate wire size of a record, used to cap produce requests. */
export function recordBytes(record: OutgoingRecord): number {
  let bytes = RECORD_OVERHEAD + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  if (record.headers !== undefined) {
    for (const name in record.headers) bytes += 8 + Buffer.byteLength(name) + Buffer.byteLength(record.headers[name]);
  }
  return bytes;
}

/** A Buffer view of `bytes` without copying (callers may pass plain `Uint8Array`s). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeHeaders(raw: [Buffer | null, Buffer | null][]): Headers {
  const headers: Headers = {};
  for (const [name, value] of raw) {
    // Kafka allows null header values; Herald's headers are strings, so a null value reads as ''.
    const key = name === null ? '' : name.toString('utf8');
    const text = value === null ? '' : value.toString('utf8');
    // '__proto__' is an ordinary header name: define it as an own property instead of setting the prototype.
    if (key === '__proto__') Object.defineProperty(headers, key, { value: text, enumerable: true, writable: true });
    else headers[key] = text;
  }
  return headers;
}

function isAbortMarker(batch: RecordsBatch): boolean {
  const key = batch.records[0]?.key;
  return key !== null && key !== undefined && key.length >= 4 && key.readInt16BE(2) === ABORT_MARKER;
}

/**
 * Drops batches of aborted transactions, as Kafka's Java consumer does under read_committed: a transactional batch
 * is aborted when its producer has an aborted transaction that started at or before the batch's last offset and
 * whose abort marker has not been passed yet. The broker lists, with each response, every aborted transaction that
 * overlaps the fetched range, so each response can be filtered on its own. (The library's own filter keeps a
 * transaction's records when its abort marker falls outside the response, and one range per producer only.)
 */
function abortedFilter(aborted: readonly AbortedTransaction[]): (batch: RecordsBatch) => boolean {
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  let head = 0;
  return (batch) => {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    while (head < pending.length && pending[head].firstOffset <= last) abortedProducers.add(pending[head++].producerId);
    if ((batch.attributes & CONTROL_BATCH) !== 0) {
      if (isAbortMarker(batch)) abortedProducers.delete(batch.producerId);
      return false;
    }
    return (batch.attributes & TRANSACTIONAL_BATCH) !== 0 && abortedProducers.has(batch.producerId);
  };
}

/**
 * Appends the records of `batches` (one fetched partition) at or after `from` to `out`, skipping control batches
 * and — given the response's `aborted` transactions (read_committed) — batches of aborted transactions, and returns
 * the next offset to fetch (`from` when `batches` held nothing).
 */
export function decodeBatches(
  topic: string,
  partition: number,
  batches: RecordsBatch[],
  from: number,
  out: BrokerRecord[],
  limit = Number.POSITIVE_INFINITY,
  aborted: readonly AbortedTransaction[] | null = null,
): number {
  let next = from;
  const isAborted = aborted === null || aborted.length === 0 ? null : abortedFilter(aborted);
  for (const batch of batches) {
    const base = Number(batch.firstOffset);
    const batchEnd = base + batch.lastOffsetDelta + 1;
    if ((isAborted !== null && isAborted(batch)) || (batch.attributes & CONTROL_BATCH) !== 0) {
      if (batchEnd > next) next = batchEnd;
      continue;
    }
    const appendTime = (batch.attributes & LOG_APPEND_TIME) !== 0 ? Number(batch.maxTimestamp) : -1;
    const firstTimestamp = Number(batch.firstTimestamp);
    for (const record of batch.records) {
      const offset = base + record.offsetDelta;
      if (offset < from) continue;
      if (out.length >= limit) return next;
      out.push({
        topic,
        partition,
        offset,
        key: record.key,
        value: record.value,
        headers: record.headers.length === 0 ? {} : decodeHeaders(record.headers),
        timestamp: appendTime >= 0 ? appendTime : firstTimestamp + Number(record.timestampDelta),
      });
      next = offset + 1;
    }
    // Compaction leaves holes: the batch may end after its last surviving record.
    if (batchEnd > next) next = batchEnd;
  }
  return next;
}
