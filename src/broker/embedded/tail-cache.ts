import type { RecordRow } from './records.ts';

/** Newest records kept per partition, at most. */
const MAX_ROWS = 4_096;
/** Bytes of keys and values kept per partition, at most (at least one batch is always kept). */
const MAX_BYTES = 1 << 20;

/**
 * The newest records of one partition, kept in memory as the rows a read would return, so that consumers at the
 * end of the log — in a pipeline, nearly all of them — get new records without a query. Holds a contiguous run of
 * offsets ending at the log's end: `add` after each commit, trimmed from the oldest past its bounds; reads below it
 * go to SQLite. The log clears or trims it whenever rows in its range are deleted (compaction, retention).
 *
 * Keys and values are copied in (the producer may reuse its buffers once a send resolves); the copies are shared
 * by every reader, so consumers must treat record bytes as read-only.
 */
export class TailCache {
  #rows: RecordRow[] = [];
  #head = 0;
  #bytes = 0;

  /** The first cached offset, or `undefined` when empty. */
  get start(): number | undefined {
    return this.#head < this.#rows.length ? this.#rows[this.#head][0] : undefined;
  }

  /**
   * Caches rows just committed (contiguous offsets, ascending). The rows themselves are kept, their keys and values
   * replaced by copies: they must be the caller's to give (the writer's own, made for the write).
   */
  add(rows: readonly RecordRow[]): void {
    let size = 0;
    for (const row of rows) size += (row[2]?.byteLength ?? 0) + (row[3]?.byteLength ?? 0);
    const first = rows[0][0];
    if (this.#head < this.#rows.length && first !== this.#rows[this.#rows.length - 1][0] + 1) this.clear();
    // One copy for the whole batch; each key and value a view into it.
    const slab = Buffer.allocUnsafeSlow(size);
    let at = 0;
    const copy = (bytes: Uint8Array | null): Uint8Array | null => {
      if (bytes === null) return null;
      slab.set(bytes, at);
      const view = new Uint8Array(slab.buffer, slab.byteOffset + at, bytes.byteLength);
      at += bytes.byteLength;
      return view;
    };
    for (const row of rows) {
      row[2] = copy(row[2]);
      row[3] = copy(row[3]);
      this.#rows.push(row);
    }
    this.#bytes += size;
    this.#trim();
  }

  /**
   * Up to `limit` rows from offset `from` on, or `undefined` when `from` is not in the cache (below its start, or
   * at or past its end) and the caller must query.
   */
  read(from: number, limit: number): RecordRow[] | undefined {
    const start = this.start;
    if (start === undefined || from < start) return undefined;
    const index = this.#head + (from - start);
    if (index >= this.#rows.length) return undefined;
    return this.#rows.slice(index, Math.min(this.#rows.length, index + limit));
  }

  /** Forgets rows below `offset` (they were deleted). */
  dropBelow(offset: number): void {
    while (this.#head < this.#rows.length && this.#rows[this.#head][0] < offset) this.#shift();
    this.#compact();
  }

  clear(): void {
    this.#rows = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #trim(): void {
    const last = this.#rows.length - 1;
    while (this.#rows.length - this.#head > MAX_ROWS || (this.#bytes > MAX_BYTES && this.#head < last)) this.#shift();
    this.#compact();
  }

  #shift(): void {
    const [, , key, value] = this.#rows[this.#head];
    this.#bytes -= (key?.byteLength ?? 0) + (value?.byteLength ?? 0);
    this.#head += 1;
  }

  #compact(): void {
    if (this.#head === this.#rows.length) this.clear();
    else if (this.#head >= 1_024 && this.#head * 2 >= this.#rows.length) {
      this.#rows = this.#rows.slice(this.#head);
      this.#head = 0;
    }
  }
}
