import type { DatabaseSync } from 'node:sqlite';
import { BatchTable, type SizeRow } from './batch-table.ts';
import type { BulkStore } from './bulk-store.ts';
import type { RecordRow } from './records.ts';
import { TailCache } from './tail-cache.ts';

/**
 * A topic as the broker holds it in memory; the database is the durable copy. Declared beside the partition log
 * rather than the registry: a log points at its topic and a topic lists its logs.
 */
export interface TopicState {
  readonly id: number;
  readonly name: string;
  readonly compacted: boolean;
  readonly retentionMs: number | null;
  readonly retentionBytes: number | null;
  /** Tombstone retention of a compacted topic, from `configs['delete.retention.ms']`; null => broker default. */
  readonly deleteRetentionMs: number | null;
  /** Where a file of large batches ends (see `BulkStore`), from `configs['segment.bytes']`; null => the default. */
  readonly segmentBytes: number | null;
  readonly configs: Record<string, string>;
  readonly logs: PartitionLog[];
  /** Next partition for records with neither key nor partition (round-robin). */
  spread: number;
  /** Set once deleted, for fetchers and queued sends still holding the object. */
  deleted: boolean;
}

function tableName(logId: number): string {
  return `log_${logId}`;
}

/** An open transaction as a partition sees it: only its identity (it is an `OpenTransaction`). */
type HeldTransaction = object;

/**
 * One partition: its table of record batches (see {@link BatchTable}), its in-memory end (`end`, `bytes`, `start`)
 * and the newest batches in memory. `end`, `bytes` and the log start are only changed inside a transaction that
 * also writes them to the `logs` table.
 *
 * Readers see the log from {@link logStart} up to {@link next}, its last stable offset: the first offset of the
 * oldest transaction still open on it (an `OpenTransaction`), else {@link end}. Every reader of the broker
 * goes through `next` and {@link read}, so records of an open transaction stay invisible until it commits (and are
 * removed if it aborts).
 */
export class PartitionLog {
  readonly id: number;
  readonly topic: TopicState;
  readonly partition: number;
  /** The offset the next appended record gets (Kafka's high watermark). Moved by the writer only. */
  end: number;
  /** Bytes stored (see `recordSize`). */
  bytes: number;
  /** Compaction progress: every record below it has been compacted against all newer keys below it. */
  cleanedUpTo = 0;
  /** Records compaction kept below {@link cleanedUpTo} in its last pass (0 until one ran since the broker opened). */
  cleanRecords = 0;
  /** Tombstones compaction has seen as the newest record of their key: removable after the delete retention. */
  readonly pendingTombstones: { offset: number; seenAt: number }[] = [];
  readonly #table: BatchTable;
  /** The newest records, for reads at the end of the log (see {@link TailCache}). */
  readonly #tail = new TailCache();
  /** First offset of each transaction open on this partition; Map order is offset order (opened in append order). */
  readonly #open = new Map<HeldTransaction, number>();
  /** The first offset of the oldest open transaction, or undefined when none is open. */
  #stable: number | undefined;
  /** Kafka's log start offset (see {@link logStart}). */
  #start: number;

  /** `bulk`: the bulk files, when the log has a directory there (see `BulkStore`). */
  constructor(db: DatabaseSync, id: number, topic: TopicState, partition: number, end: number, bytes: number, start = 0, bulk?: BulkStore) {
    this.id = id;
    this.topic = topic;
    this.partition = partition;
    this.end = end;
    this.bytes = bytes;
    this.#start = start;
    this.#table = new BatchTable(db, tableName(id), id, bulk);
  }

  /** Creates the table of a new log (inside the caller's transaction). */
  static createTable(db: DatabaseSync, logId: number): void {
    BatchTable.create(db, tableName(logId));
  }

  /** Drops the table of a log (inside the caller's transaction), then its bulk directory if it has one. */
  static dropTable(db: DatabaseSync, bulk: BulkStore, logId: number): void {
    db.exec(`DROP TABLE IF EXISTS ${tableName(logId)}`);
    bulk.drop(logId);
  }

  /** The stored batches (a Kafka fetch sends them as they are; compaction reads them). Write through the log. */
  get batches(): BatchTable {
    return this.#table;
  }

  /**
   * The end readers see — Kafka's last stable offset: the first offset of the oldest open transaction on this
   * partition, else {@link end}. Records from here on are not handed to anyone but read_uncommitted Kafka fetches.
   */
  get next(): number {
    return this.#stable ?? this.end;
  }

  /** Marks `transaction` open on this partition from offset `first` on, unless it already is (writer only). */
  hold(transaction: HeldTransaction, first: number): void {
    if (this.#open.has(transaction)) return;
    this.#open.set(transaction, first);
    this.#stable ??= first;
  }

  /** `transaction` ended: the last stable offset moves to the next open one's first offset, or the end. */
  release(transaction: HeldTransaction): void {
    if (!this.#open.delete(transaction)) return;
    this.#stable = undefined;
    for (const first of this.#open.values()) {
      this.#stable = first;
      break;
    }
  }

  /** Lets go of what this log holds in memory (its table is dropped by the registry). */
  forget(): void {
    this.#tail.clear();
  }

  /**
   * Stores `rows[start, end)` (contiguous offsets) as one batch, `size` their `recordSize` sum (in a transaction).
   * Returns the batch, for {@link committed}.
   */
  insert(rows: readonly RecordRow[], start: number, end: number, size: number): Buffer {
    return this.#table.insert(rows, start, end, size);
  }

  /**
   * Stores `rows[start, end)` as `batch`, their encoding as a Kafka producer sent it: its base offset is set to the
   * first row's and its leader epoch to 0, as Herald's own batches carry. Returns the batch, for {@link committed}.
   */
  insertEncoded(rows: readonly RecordRow[], start: number, end: number, size: number, batch: Buffer, pointer?: Buffer): Buffer {
    let ts = rows[start][1];
    for (let i = start + 1; i < end; i++) if (rows[i][1] > ts) ts = rows[i][1];
    return this.insertEncodedSpan(rows[start][0], rows[end - 1][0], ts, size, batch, pointer);
  }

  /**
   * Stores `batch` as {@link insertEncoded} does, for records at offsets `[first, last]` whose largest timestamp is
   * `maxTimestamp`; `pointer`: where {@link insertBulk} wrote its bytes before, kept in the row instead.
   */
  insertEncodedSpan(first: number, last: number, maxTimestamp: number, size: number, batch: Buffer, pointer?: Buffer): Buffer {
    placeAt(batch, first);
    this.#table.insertBatch(last, first, maxTimestamp, size, pointer ?? batch);
    return batch;
  }

  /**
   * Appends the bytes of `batch`, a Kafka producer's, starting at offset `first`, to the log's bulk files, before
   * the commit of the row naming them ({@link insertEncodedSpan} with the pointer returned). The log has its bulk
   * directory ({@link useBulk}).
   */
  insertBulk(bulk: BulkStore, first: number, batch: Buffer): Buffer {
    placeAt(batch, first);
    return bulk.append(this.id, batch, this.topic.segmentBytes ?? undefined);
  }

  /** The log's bulk directory was made (`BulkStore.create`): reads look there from now on. */
  useBulk(bulk: BulkStore): void {
    this.#table.useBulk(bulk);
  }

  /** Whether the log has a bulk directory. */
  get bulk(): boolean {
    return this.#table.bulk;
  }

  /** After the transaction that inserted `batches` committed: keeps them for reads at the end of the log. */
  committed(batches: readonly Buffer[]): void {
    this.#tail.add(batches);
  }

  /**
   * Up to `limit` records with `from` <= offset < `upTo`, in offset order: from memory at the end of the log.
   * `upTo` defaults to {@link next} (what readers may see); read_uncommitted Kafka fetches pass {@link end}.
   */
  read(from: number, limit: number, upTo = this.next): RecordRow[] {
    if (from < this.#start) from = this.#start;
    if (from >= upTo) return [];
    let rows = this.#tail.read(from, limit) ?? this.#table.read(from, limit);
    if (upTo < this.end && rows.length > 0 && rows[rows.length - 1][0] >= upTo) {
      let keep = rows.length - 1;
      while (keep > 0 && rows[keep - 1][0] >= upTo) keep--;
      rows = rows.slice(0, keep);
    }
    return rows;
  }

  /**
   * Deletes the records with offset in `[first, last]` (an aborted transaction's); returns the bytes they held.
   * Inside the caller's transaction.
   */
  deleteRange(first: number, last: number): number {
    this.#tail.clear();
    return this.#table.deleteRange(first, last);
  }

  /** The first record's offset, or `end` when the partition holds nothing. */
  earliest(): number {
    return this.#table.firstFrom(this.#start) ?? this.end;
  }

  /**
   * `[offset, timestamp]` of the first record (in offset order) stamped at or after `timestamp`, or undefined.
   * Scans the partition: there is no index on time (Kafka clients ask for it rarely, to seek by time).
   */
  firstAtOrAfter(timestamp: number): [offset: number, timestamp: number] | undefined {
    return this.#table.firstAtOrAfter(this.#start, timestamp);
  }

  /** `[offset, timestamp]` of the record with the largest timestamp (the first of equals), or undefined. */
  newestTimestamp(): [offset: number, timestamp: number] | undefined {
    return this.#table.newestTimestamp(this.#start);
  }

  /** `[offset, timestamp, size]` of up to `limit` records from `from` on, in offset order. */
  sizes(from: number, limit: number): SizeRow[] {
    return this.#table.sizes(Math.max(from, this.#start), limit);
  }

  /**
   * Kafka's log start offset: where retention has deleted the log up to (kept in the `logs` table). Records
   * removed above it — by compaction or an aborted transaction — leave gaps, not a new start, so a Kafka fetch
   * from a removed offset there is answered from the next record instead of OFFSET_OUT_OF_RANGE.
   */
  logStart(): number {
    return this.#start;
  }

  /**
   * Deletes every record below `offset`: the log now starts there (the caller writes the start to `logs`). Their
   * bytes in the bulk files go once this deletion is durable ({@link deleteBulkBelow}).
   */
  deleteBelow(offset: number): void {
    this.#start = Math.max(this.#start, offset);
    this.#tail.dropBelow(offset);
    this.#table.deleteBelow(offset);
  }

  /** Deletes the bulk files holding only batches wholly below `offset`, whose rows' deletion is durable. */
  deleteBulkBelow(bulk: BulkStore, offset: number): void {
    bulk.deleteBelow(this.id, offset);
  }

  /**
   * At start (see `BatchTable.reconcileBulk`): returns how many batches were deleted and their `size` sum. A log
   * without a bulk directory is only looked at when the bulk directory was `lost`.
   */
  reconcileBulk(bulk: BulkStore, lost: boolean): [removed: number, freed: number] {
    return this.#table.bulk || lost ? this.#table.reconcileBulk(bulk) : [0, 0];
  }

  /**
   * Stores the batch ending at `last` again with only the records `keep` accepts (see {@link BatchTable.filter});
   * returns how many were removed and their bytes. Inside the caller's transaction, which writes the byte count.
   */
  filterBatch(last: number, keep: (row: RecordRow) => boolean): [removed: number, freed: number] {
    this.#tail.clear();
    return this.#table.filter(last, keep);
  }
}

/** Sets a stored batch's base offset to `first` and its leader epoch to 0, as Herald's own batches carry. */
function placeAt(batch: Buffer, first: number): void {
  batch.writeInt32BE(Math.floor(first / 4_294_967_296), 0);
  batch.writeUInt32BE(first % 4_294_967_296, 4);
  batch.writeInt32BE(0, 12);
}
