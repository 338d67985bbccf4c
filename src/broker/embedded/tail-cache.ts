import type { RecordRow } from './records.ts';
import { decodeStoredBatch } from './stored-batch.ts';

/** Newest records kept per partition, at most. */
const MAX_ROWS = 4_096;
/** Bytes of batches kept per partition, at most (at least one batch is always kept). */
const MAX_BYTES = 1 << 20;
/** Where a batch's last offset delta is (see `batch.ts` for the layout). */
const LAST_OFFSET_DELTA_AT = 23;

interface TailBatch {
  first: number;
  last: number;
  bytes: Buffer;
  /** The batch's records, decoded when first read. */
  rows: RecordRow[] | undefined;
}

/**
 * The newest records of one partition, kept in memory as the record batches just stored, so that consumers at the
 * end of the log — in a pipeline, nearly all of them — get new records without a query. Holds a contiguous run of
 * offsets ending at the log's end: `add` after each commit, trimmed from the oldest past its bounds; reads below it
 * go to SQLite. The log clears or trims it whenever records in its range are deleted (compaction, retention).
 *
 * A batch is decoded when first read, once for every reader: a partition nobody reads at its end (a changelog
 * while its processor runs) costs a reference per batch. (Kept as rows, copied in at each commit, the tail of a
 * processor's changelog was 7% of an exactly-once run.) The batches are the writer's own encodings, so nothing a
 * producer does to its buffers after a send reaches them; readers share the decoded rows, so consumers must treat
 * record bytes as read-only.
 */
export class TailCache {
  #batches: TailBatch[] = [];
  #head = 0;
  #bytes = 0;
  #rows = 0;

  /** The first cached offset, or `undefined` when empty. */
  get start(): number | undefined {
    return this.#head < this.#batches.length ? this.#batches[this.#head].first : undefined;
  }

  /** Caches batches just committed (ascending; the first follows the cached ones, else the cache starts anew). */
  add(batches: readonly Buffer[]): void {
    for (const bytes of batches) {
      const first = bytes.readInt32BE(0) * 4_294_967_296 + bytes.readUInt32BE(4);
      const last = first + bytes.readInt32BE(LAST_OFFSET_DELTA_AT);
      const end = this.#batches.length;
      if (this.#head < end && first !== this.#batches[end - 1].last + 1) this.clear();
      this.#batches.push({ first, last, bytes, rows: undefined });
      this.#bytes += bytes.length;
      this.#rows += last - first + 1;
    }
    this.#trim();
  }

  /**
   * Up to `limit` rows from offset `from` on, or `undefined` when `from` is not in the cache (below its start, or
   * at or past its end) and the caller must query.
   */
  read(from: number, limit: number): RecordRow[] | undefined {
    const start = this.start;
    if (start === undefined || from < start || from > this.#batches[this.#batches.length - 1].last) return undefined;
    // Readers are nearly always in the newest batches: look from the end.
    let i = this.#batches.length - 1;
    while (this.#batches[i].first > from) i--;
    const out: RecordRow[] = [];
    for (; i < this.#batches.length && out.length < limit; i++) {
      const batch = this.#batches[i];
      if (batch.rows === undefined) {
        batch.rows = [];
        decodeStoredBatch(batch.bytes, batch.first, batch.rows, Number.MAX_SAFE_INTEGER);
      }
      const rows = batch.rows;
      let at = from <= batch.first ? 0 : Math.min(rows.length, from - batch.first);
      while (at > 0 && rows[at - 1][0] >= from) at--;
      while (at < rows.length && rows[at][0] < from) at++;
      while (at < rows.length && out.length < limit) out.push(rows[at++]);
    }
    return out;
  }

  /** Forgets batches wholly below `offset` (their records were deleted; the log skips the rest below it). */
  dropBelow(offset: number): void {
    while (this.#head < this.#batches.length && this.#batches[this.#head].last < offset) this.#shift();
    this.#compact();
  }

  clear(): void {
    this.#batches = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#rows = 0;
  }

  #trim(): void {
    const last = this.#batches.length - 1;
    while (this.#head < last && (this.#rows > MAX_ROWS || this.#bytes > MAX_BYTES)) this.#shift();
    this.#compact();
  }

  #shift(): void {
    const batch = this.#batches[this.#head];
    this.#bytes -= batch.bytes.length;
    this.#rows -= batch.last - batch.first + 1;
    this.#head += 1;
  }

  #compact(): void {
    if (this.#head === this.#batches.length) this.clear();
    else if (this.#head >= 256 && this.#head * 2 >= this.#batches.length) {
      this.#batches = this.#batches.slice(this.#head);
      this.#head = 0;
    }
  }
}
