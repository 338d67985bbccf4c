import type { PartitionLog } from '../../partition-log.ts';
import { readBatch, type RecordBatches } from './read.ts';

/** Bytes of prepared batches one connection may hold. */
const MAX_PREPARED_BYTES = 8 << 20;

interface Prepared {
  from: number;
  budget: number;
  /** Read up to the log's end (read_uncommitted) rather than its last stable offset. */
  uncommitted: boolean;
  batch: RecordBatches;
}

/** The offset after the last record of encoded batches (the last one's base offset + last offset delta + 1). */
export function nextOffsetAfter({ parts }: RecordBatches): number {
  const batches = parts[parts.length - 1];
  let at = 0;
  for (;;) {
    const next = at + 12 + batches.readInt32BE(at + 8);
    if (next >= batches.length) break;
    at = next;
  }
  return batches.readInt32BE(at) * 4_294_967_296 + batches.readUInt32BE(at + 4) + batches.readInt32BE(at + 23) + 1;
}

/**
 * Read-ahead for one connection (one consumer): once a fetch is answered, the next batch of each partition it
 * read is prepared while the client works through the answer, so that the next fetch finds it ready instead of
 * reading the log then. At most one batch per partition, a few MiB per connection; a batch is used only for a
 * fetch of the same partition from exactly where it starts, within the same byte budget.
 */
export class ReadAhead {
  readonly #prepared = new Map<PartitionLog, Prepared>();
  #bytes = 0;
  #closed = false;

  /**
   * The prepared batch for a read of `log` from `from` within `budget` bytes, taken out; `undefined` when there is
   * none to use. With `atLeastOne` (the answer has nothing yet) a batch prepared within the same budget may be
   * larger than it, as a read would be. `uncommitted`: the fetch reads to the log's end (read_uncommitted).
   */
  take(log: PartitionLog, from: number, budget: number, atLeastOne: boolean, uncommitted = false): RecordBatches | undefined {
    const prepared = this.#prepared.get(log);
    if (prepared === undefined) return undefined;
    this.#drop(log, prepared);
    if (prepared.from !== from || prepared.uncommitted !== uncommitted || log.topic.deleted) return undefined;
    const fits = prepared.batch.byteLength <= budget || (atLeastOne && prepared.budget <= budget);
    return fits ? prepared.batch : undefined;
  }

  /** Prepares the batch of `log` from `from`, after the current turn (the answer is written first). */
  schedule(log: PartitionLog, from: number, budget: number, uncommitted = false): void {
    const upTo = () => (uncommitted ? log.end : log.next);
    if (this.#closed || from >= upTo() || this.#bytes >= MAX_PREPARED_BYTES || this.#prepared.has(log)) return;
    setImmediate(() => {
      if (this.#closed || log.topic.deleted || this.#prepared.has(log) || this.#bytes >= MAX_PREPARED_BYTES) return;
      try {
        const batch = readBatch(log, from, budget, true, upTo());
        if (batch === null) return;
        this.#prepared.set(log, { from, budget, uncommitted, batch });
        this.#bytes += batch.byteLength;
      } catch {
        // The fetch itself will read (and report) whatever went wrong.
      }
    });
  }

  #drop(log: PartitionLog, prepared: Prepared): void {
    this.#prepared.delete(log);
    this.#bytes -= prepared.batch.byteLength;
  }

  /** The connection closed: nothing more is prepared, and what was is let go. */
  close(): void {
    this.#closed = true;
    this.#prepared.clear();
    this.#bytes = 0;
  }
}
