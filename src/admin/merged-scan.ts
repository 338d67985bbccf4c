import type { Admin, BrokerRecord } from '../broker/port.ts';
import type { Positions } from './positions.ts';

/** What the caller still means to take, so the scan reads no more than that from any partition. */
export interface Appetite {
  records: number;
  bytes: number;
}

/** Most records one refill reads from a partition. */
const MAX_PAGE = 500;
/** Size assumed for a record before any was seen. */
const FIRST_GUESS_BYTES = 1_024;

interface Lane {
  partition: number;
  /** Next offset to read from the broker. */
  fetchFrom: number;
  /** Read up to here (exclusive): the partition's end when the scan began. */
  end: number;
  buffered: BrokerRecord[];
  /** The offset after the last record taken: where a later read of this partition continues. */
  next: number;
}

const rawSize = (r: BrokerRecord) =>
  (r.key?.length ?? 0) + (r.value?.length ?? 0) + Object.entries(r.headers).reduce((n, [k, v]) => n + k.length + v.length, 0);

/**
 * The records of some partitions of a topic, from given positions to their ends as of when the scan began, merged
 * by timestamp (ties: partition, then offset) — each partition's own order kept. Reads lazily: a partition is read
 * when its buffer runs dry, never more than the caller's appetite allows (its remaining record count, and its
 * remaining bytes over the largest record seen), so memory stays bounded by the caller's budget whatever the
 * records' sizes. `positions()` says where each partition continues after the records taken so far.
 */
export class MergedScan {
  readonly #admin: Admin;
  readonly #topic: string;
  readonly #lanes: Lane[];
  #largest = FIRST_GUESS_BYTES;
  /** Records the broker handed over: the cost of the scan so far, whatever was taken. */
  scanned = 0;

  /** `ends`: the first offset not to read in each partition (its latest when the scan began). */
  constructor(admin: Admin, topic: string, from: Positions, ends: Map<number, number>) {
    this.#admin = admin;
    this.#topic = topic;
    this.#lanes = [...from].map(([partition, offset]) => ({
      partition,
      fetchFrom: offset,
      end: ends.get(partition) ?? offset,
      buffered: [],
      next: offset,
    }));
  }

  /** The next record in merged order without taking it; `undefined` once every partition is read to its end. */
  async peek(appetite: Appetite): Promise<BrokerRecord | undefined> {
    await this.#fill(appetite);
    let best: Lane | undefined;
    for (const lane of this.#lanes) {
      const head = lane.buffered[0];
      if (head === undefined) continue;
      const top = best?.buffered[0];
      if (top === undefined || head.timestamp < top.timestamp || (head.timestamp === top.timestamp && head.partition < top.partition)) {
        best = lane;
      }
    }
    return best?.buffered[0];
  }

  /** Takes the record `peek` returned. */
  take(record: BrokerRecord): void {
    const lane = this.#lanes.find((l) => l.partition === record.partition)!;
    lane.buffered.shift();
    lane.next = record.offset + 1;
  }

  /** Where each partition continues: after its last record taken, or where it started. */
  positions(): Positions {
    return new Map(this.#lanes.map((lane) => [lane.partition, lane.next]));
  }

  /** Whether any partition holds records not taken, up to its end as of when the scan began. */
  get more(): boolean {
    return this.#lanes.some((lane) => lane.next < lane.end);
  }

  /** Reads every partition whose buffer is empty and which has records left. */
  async #fill(appetite: Appetite): Promise<void> {
    const dry = this.#lanes.filter((lane) => lane.buffered.length === 0 && lane.fetchFrom < lane.end);
    if (dry.length === 0) return;
    const perLane = Math.floor(appetite.bytes / (this.#largest * dry.length));
    const size = Math.max(1, Math.min(MAX_PAGE, appetite.records, perLane));
    for (const lane of dry) {
      const records = await this.#admin.read({ topic: this.#topic, partition: lane.partition, offset: lane.fetchFrom }, size);
      const kept = records.filter((r) => r.offset >= lane.fetchFrom && r.offset < lane.end);
      this.scanned += kept.length;
      for (const record of kept) this.#largest = Math.max(this.#largest, rawSize(record));
      lane.buffered = kept;
      // Nothing (left) before the end: the partition is done — compaction or retention may have removed the rest.
      lane.fetchFrom = kept.length === 0 ? lane.end : kept[kept.length - 1].offset + 1;
      if (kept.length === 0) lane.next = Math.max(lane.next, lane.end);
    }
  }
}
