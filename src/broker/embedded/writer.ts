import type { Logger } from 'pino';
import { HeraldError } from '../../errors.ts';
import { TurnBatcher } from '../../kit/turn-batcher.ts';
import type { RecordPosition } from '../port.ts';
import type { Notifier } from './notifier.ts';
import type { CommittedOffsets } from './offsets.ts';
import type { OpenTransaction } from './open-transaction.ts';
import type { PartitionLog } from './partition-log.ts';
import type { PlainRecords } from './kafka-protocol/records/plain.ts';
import {
  addToRun,
  type AppendRecord,
  appendPlainRun,
  encodeLargeRuns,
  hasBulkRuns,
  insertBulkRuns,
  insertRuns,
  keptInBulk,
  newPending,
  type PendingLog,
  type PlainAppend,
} from './pending-log.ts';
import { type Store, storageError } from './store.ts';

/** A committed offset bound for one group and log. */
export interface OffsetCommit {
  group: string;
  log: PartitionLog;
  offset: number;
}

interface WriteRequest {
  records: AppendRecord[];
  offsets: OffsetCommit[];
  /** Runs inside the write, just before it: throwing refuses this request alone, with nothing of it written. */
  check: (() => void) | undefined;
  /** Told of this request's failure synchronously, before any later request is checked (see `transact`). */
  refused: ((err: unknown) => void) | undefined;
  /** The open transaction the records belong to: they stay above their partitions' last stable offset. */
  transaction: OpenTransaction | undefined;
  /**
   * The records (all for one log) encoded as they are to be stored, a Kafka producer's batch: stored as it came,
   * with its offsets set, instead of being encoded again.
   */
  encoded: Buffer | undefined;
  /** A Kafka producer's batch stored as it came, summed up instead of decoded (`records` is then empty). */
  plain: PlainAppend | undefined;
  /** Ends a transaction: commit (its records become visible) or abort (its records are removed). */
  ending: { transaction: OpenTransaction; commit: boolean } | undefined;
  resolve(positions: RecordPosition[]): void;
  reject(err: unknown): void;
}

/** What a request may carry besides its records and offsets. */
type RequestParts = Partial<Pick<WriteRequest, 'check' | 'refused' | 'transaction' | 'ending' | 'encoded' | 'plain'>>;

/** Requests committed together, to settle once the log is synced. */
interface Committed {
  settle(): void;
  fail(err: unknown): void;
}

/**
 * Group commit: every append and offset commit requested during one turn of the event loop is written in a single
 * transaction, and each request resolves only after that commit — and, under durability `'fsync'`, after the next
 * sync of the write-ahead log, which runs off the event loop (see `Store.syncLog`). At most one sync runs at a
 * time, and requests made while one runs are written together when it ends, just before the next sync starts:
 * they could not be acknowledged before that sync anyway, and one commit for all of them instead of one per turn
 * saves SQLite's per-commit work (a Kafka producer keeping 5 requests in flight, or 50 HTTP clients, made a commit
 * each). A request that fails rejects with nothing of it written; the in-memory ends of the logs move only after
 * the commit. Consumers may read records once committed, before the sync: only an OS crash can lose those, and
 * then everything written after them too.
 */
export class Writer {
  readonly #store: Store;
  readonly #notifier: Notifier;
  readonly #offsets: CommittedOffsets;
  readonly #logger: Logger | undefined;
  /** Requests of this turn; written together (sends arriving in one poll phase, e.g. many HTTP requests). */
  readonly #queue = new TurnBatcher<WriteRequest>((requests) => this.#writeOrHold(requests));
  #closed = false;
  /** Committed, waiting for the next sync. */
  #unsynced: Committed[] = [];
  /** The sync in flight, if any. */
  #syncing: Promise<void> | undefined;
  /** Requests made while a sync runs, in order: written when it ends. */
  #held: WriteRequest[] = [];

  constructor(store: Store, notifier: Notifier, offsets: CommittedOffsets, logger?: Logger) {
    this.#store = store;
    this.#notifier = notifier;
    this.#offsets = offsets;
    this.#logger = logger;
  }

  /**
   * Appends `records`. With `transaction`, they belong to that open transaction: written now with their offsets,
   * but each partition's last stable offset stays at the transaction's first record there (readers do not see
   * them) until {@link endTransaction}.
   */
  append(records: AppendRecord[], transaction?: OpenTransaction): Promise<RecordPosition[]> {
    return this.#enqueue(records, [], { transaction });
  }

  /**
   * Appends `records` (all for one normal topic's log) that came as `batch`, an uncompressed v2 record batch whose
   * records are exactly these, with offset deltas 0, 1, …: the batch is stored as it is, its base offset set to
   * where it lands, rather than encoded again. As {@link append} otherwise.
   */
  appendEncoded(records: AppendRecord[], batch: Buffer, transaction?: OpenTransaction): Promise<RecordPosition[]> {
    return this.#enqueue(records, [], { transaction, encoded: batch });
  }

  /**
   * Appends `batch` (for `log`, a normal topic's), a Kafka producer's uncompressed v2 batch of plain records summed
   * up as `records` (see `scanPlain`), as it came — its base offset set to where it lands. Resolves with that
   * offset. As {@link appendEncoded} otherwise, without a record object per record.
   */
  appendPlain(log: PartitionLog, records: PlainRecords, batch: Buffer, transaction?: OpenTransaction): Promise<number> {
    return this.#enqueue([], [], { transaction, plain: { log, records, batch } }).then(
      ([position]) => position.offset,
    );
  }

  /**
   * Ends `transaction` in one write: committing makes its records visible and commits `offsets` (its
   * TxnOffsetCommits) with them; aborting removes its records from the logs (offsets are not committed). Either way
   * the partitions' last stable offsets move on and their readers are woken. The caller waits for the
   * transaction's appends to settle first.
   */
  endTransaction(transaction: OpenTransaction, commit: boolean, offsets: OffsetCommit[]): Promise<void> {
    return this.#enqueue([], commit ? offsets : [], { ending: { transaction, commit } }).then(() => undefined);
  }

  commitOffsets(offsets: OffsetCommit[]): Promise<void> {
    return this.#enqueue([], offsets).then(() => undefined);
  }

  /**
   * Appends `records` and commits `offsets` as one unit (they always share a transaction; this adds `check`, run
   * inside the write so that nothing can change between the check and the commit — e.g. partition ownership).
   * `refused` hears of every failure of the request at once — before the checks of the requests after it in the
   * same write —: a chain of calls breaks there, not when the rejection is delivered.
   */
  transact(
    records: AppendRecord[],
    offsets: OffsetCommit[],
    check: () => void,
    refused?: (err: unknown) => void,
  ): Promise<RecordPosition[]> {
    return this.#enqueue(records, offsets, { check, refused });
  }

  /** Resolves once every request made before it is durable. */
  barrier(): Promise<void> {
    return this.#enqueue([], []).then(() => undefined);
  }

  #enqueue(records: AppendRecord[], offsets: OffsetCommit[], parts: RequestParts = {}): Promise<RecordPosition[]> {
    const { check, refused, transaction, ending, encoded, plain } = parts;
    if (this.#closed) {
      const err = new HeraldError('HERALD_BROKER_CLOSED', 'the embedded broker is stopped');
      refused?.(err);
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) =>
      this.#queue.push({ records, offsets, check, refused, transaction, ending, encoded, plain, resolve, reject }),
    );
  }

  /** Writes everything queued now, synchronously. */
  flush(): void {
    this.#queue.flushNow();
  }

  #writeOrHold(requests: WriteRequest[]): void {
    if (this.#syncing === undefined) this.#write(requests);
    else for (const request of requests) this.#held.push(request);
  }

  #write(queue: WriteRequest[]): void {
    const live: WriteRequest[] = [];
    for (const request of queue) {
      const gone =
        (request.plain?.log.topic.deleted ? request.plain : undefined) ??
        request.records.find((r) => r.log.topic.deleted) ??
        request.offsets.find((o) => o.log.topic.deleted);
      if (gone === undefined) {
        try {
          request.check?.();
          live.push(request);
        } catch (err) {
          refuse(request, err);
        }
      } else {
        const name = gone.log.topic.name;
        refuse(request, new HeraldError('HERALD_TOPIC_NOT_FOUND', `topic ${JSON.stringify(name)} was deleted`));
      }
    }
    const pending = new Map<PartitionLog, PendingLog>();
    const pendingOf = (log: PartitionLog): PendingLog => {
      let p = pending.get(log);
      if (p === undefined) {
        p = newPending(log);
        pending.set(log, p);
      }
      return p;
    };
    const results: RecordPosition[][] = [];
    /** Per request of an open transaction: the offsets `[first, last]` it gets in each partition. */
    const runs: (Map<PartitionLog, [number, number]> | undefined)[] = [];
    for (const request of live) {
      const run = request.transaction === undefined ? undefined : new Map<PartitionLog, [number, number]>();
      if (request.plain !== undefined) {
        results.push([appendPlainRun(pendingOf(request.plain.log), request.plain, run)]);
        runs.push(run);
        continue;
      }
      const positions: RecordPosition[] = new Array(request.records.length);
      for (let i = 0; i < request.records.length; i++) {
        const record = request.records[i];
        const log = record.log;
        const p = pendingOf(log);
        const offset = p.next++;
        p.bytes += record.size;
        let startsOwn = request.encoded !== undefined && i === 0;
        if (run !== undefined) {
          const range = run.get(log);
          startsOwn = range === undefined;
          if (range === undefined) run.set(log, [offset, offset]);
          else range[1] = offset;
        }
        addToRun(p, offset, record, startsOwn, request.encoded !== undefined);
        if (run !== undefined) (p.transactional ??= new Set()).add(p.runStarts.length - 1);
        positions[i] = { topic: log.topic.name, partition: log.partition, offset };
      }
      if (run !== undefined) for (const log of run.keys()) pendingOf(log).sealed = true;
      if (request.encoded !== undefined && request.records.length > 0) {
        const p = pendingOf(request.records[0].log);
        p.sealed = true;
        const bulk = keptInBulk(request.records[0].log, request.encoded.length, request.transaction !== undefined);
        (p.encoded ??= new Map()).set(p.runStarts.length - 1, { batch: request.encoded, span: undefined, bulk });
      }
      results.push(positions);
      runs.push(run);
      if (request.ending !== undefined) {
        for (const log of request.ending.transaction.ranges.keys()) if (!log.topic.deleted) pendingOf(log);
      }
    }
    const now = Date.now();
    try {
      this.#writeBulk(pending);
      this.#store.transaction(() => {
        for (const [log, p] of pending) insertRuns(log, p);
        for (let i = 0; i < live.length; i++) {
          const { transaction, ending } = live[i];
          const run = runs[i];
          if (transaction !== undefined && run !== undefined) {
            for (const [log, [first, last]] of run) this.#store.insertOpenRange(transaction.id, log.id, first, last);
          }
          if (ending !== undefined) this.#end(ending.transaction, ending.commit, pending);
        }
        for (const [log, p] of pending) this.#store.updateLog(log.id, p.next, p.bytes, log.logStart());
        for (const request of live) {
          for (const c of request.offsets) this.#store.upsertOffset(c.group, c.log.id, c.offset, now);
        }
      }, false);
      this.#store.bulk.keep();
    } catch (err) {
      this.#store.bulk.undo();
      this.#logger?.error({ err }, 'embedded broker: write failed');
      const failure = err instanceof HeraldError ? err : storageError('writing to the embedded log failed', err, this.#store.file);
      for (const request of live) refuse(request, failure);
      return;
    }
    for (const [log, p] of pending) {
      log.end = p.next;
      log.bytes = p.bytes;
      if (p.batches.length > 0) log.committed(p.batches);
    }
    for (let i = 0; i < live.length; i++) {
      const { transaction, ending } = live[i];
      const run = runs[i];
      if (transaction !== undefined && run !== undefined) {
        for (const [log, range] of run) {
          const list = transaction.ranges.get(log);
          if (list === undefined) transaction.ranges.set(log, [range]);
          else list.push(range);
          log.hold(transaction, range[0]);
        }
      }
      if (ending !== undefined) {
        for (const log of ending.transaction.ranges.keys()) log.release(ending.transaction);
        ending.transaction.ranges.clear();
      }
    }
    for (const request of live) {
      for (const c of request.offsets) this.#offsets.set(c.group, c.log.id, c.offset);
    }
    const settle = () => {
      for (let i = 0; i < live.length; i++) live[i].resolve(results[i]);
    };
    if (this.#store.syncs) {
      this.#unsynced.push({ settle, fail: (err) => live.forEach((request) => refuse(request, err)) });
      this.#sync();
    } else {
      settle();
    }
    for (const log of pending.keys()) this.#notifier.notify(log.id);
  }

  /**
   * Before the write's transaction: appends the bytes of large batches — a Kafka producer's, or runs of records
   * encoded here for it (see `encodeLargeRuns`) — to the bulk files (making a log's directory first), so that a
   * kill before the commit leaves bytes no row names, never a row without its bytes; a failed commit takes them
   * back (see `BulkStore`).
   */
  #writeBulk(pending: Map<PartitionLog, PendingLog>): void {
    const logs: [PartitionLog, PendingLog][] = [];
    for (const entry of pending) {
      encodeLargeRuns(entry[0], entry[1]);
      if (hasBulkRuns(entry[1])) logs.push(entry);
    }
    if (logs.length === 0) return;
    const bulk = this.#store.bulk;
    for (const [log] of logs) {
      if (log.bulk) continue;
      bulk.create(log.id);
      log.useBulk(bulk);
    }
    for (const [log, p] of logs) insertBulkRuns(log, p, bulk);
  }

  /** Inside the write: forgets the durable ranges of `transaction` and, aborting, deletes its records. */
  #end(transaction: OpenTransaction, commit: boolean, pending: Map<PartitionLog, PendingLog>): void {
    if (!commit) {
      for (const [log, ranges] of transaction.ranges) {
        const p = pending.get(log);
        if (p === undefined) continue; // the topic was deleted
        for (const [first, last] of ranges) p.bytes -= log.deleteRange(first, last);
      }
    }
    this.#store.deleteOpenRanges(transaction.id);
  }

  /** Starts a sync for what is committed and waiting, unless one runs (it starts the next when it ends). */
  #sync(): void {
    if (this.#syncing !== undefined || this.#unsynced.length === 0) return;
    const batch = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = this.#store
      .syncLog()
      .then(
        () => {
          for (const committed of batch) committed.settle();
        },
        (err: unknown) => {
          this.#logger?.error({ err }, 'embedded broker: syncing the log failed');
          for (const committed of batch) committed.fail(err);
        },
      )
      .finally(() => {
        this.#syncing = undefined;
        const held = this.#held;
        this.#held = [];
        if (held.length > 0) this.#write(held);
        this.#sync();
      });
  }

  /** Writes what is queued and waits until it is synced, then refuses further requests. */
  async close(): Promise<void> {
    this.flush();
    this.#closed = true;
    while (this.#syncing !== undefined) await this.#syncing;
  }
}

/** Fails a request: its `refused` hears first, synchronously, then its caller. */
function refuse(request: WriteRequest, err: unknown): void {
  request.refused?.(err);
  request.reject(err);
}
