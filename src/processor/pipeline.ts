import type { CommitChain } from '../broker/port.ts';
import type { BatchResult } from './core.ts';

const NOTHING_IN_FLIGHT: Promise<unknown> = Promise.resolve();

/** A batch whose commit was asked for and has not settled. */
interface InFlight {
  result: BatchResult;
  /** False once its chain broke: its changes will never be committed, and later batches must not see them. */
  live: boolean;
  /** Settles (never rejects) once the commit settled and its outcome was handled. */
  settled: Promise<void>;
}

/** Batches processed while the partition had no room in flight, merged into one, their commit not asked for yet. */
export interface HeldBatch {
  result: BatchResult;
  /** The partition's stream time after the last of them. */
  streamAfter: number;
  /** The chain they were processed in (the held batch is dropped when it breaks). */
  chain: CommitChain;
}

/**
 * One partition's batches between processing and commit (`ProcessorOptions.inFlightBatches`): with one batch at a
 * time, a record that arrived while a commit ran waited for that commit, then for the next one — on Kafka, where
 * commits are spaced under load, most of the wallet's deposit → visible time. The next batch is processed on top of
 * the ones in flight ({@link read}: their changes over the committed table), and their commits form one
 * {@link CommitChain}, so that none is committed after an earlier one failed. Batches processed while no room is
 * left in flight are held ({@link hold}) and committed as one once a commit settles. A seek back (a failed batch or
 * commit) starts a new generation: batches handed over before it are stale and skipped, and a failed chain is
 * replaced (the held batch with it).
 */
export class PartitionPipeline {
  /** The chain the next commit joins. */
  chain: CommitChain = { failure: undefined };
  /** Incremented at each seek back: a batch handed over in an earlier generation comes again after the seek. */
  generation = 0;
  readonly #inFlight: InFlight[] = [];
  /** Whether the partition's last batch processed was a full one (a backlog). */
  lastFull = false;
  #held: HeldBatch | undefined;
  #heldTaken: { promise: Promise<void>; resolve: () => void } | undefined;
  /** The work running for the partition, settled. */
  #serial: Promise<void> = Promise.resolve();
  /** Per input topic: the next offset after its last batch committed (or its first handed over). */
  #committed = new Map<string, number>();
  /** Per input topic: the next offset after its last batch whose commit was asked for (or its first handed over). */
  #submitted = new Map<string, number>();
  /**
   * The partition's stream time after its last committed batch (before its first batch, until one is committed),
   * what processing again after a failed commit starts from.
   */
  streamTime: number | undefined;

  /**
   * Runs `work` after whatever runs for the partition now (its batches, of one or several inputs sharing its
   * table, an assignment or revocation, a seek back): processing happens in hand-over order.
   */
  serial(work: () => Promise<void>): Promise<void> {
    const run = this.#serial.then(work);
    this.#serial = run.catch(() => {});
    return run;
  }

  get size(): number {
    return this.#inFlight.length;
  }

  /** A batch was handed over: where its topic starts, if none of it was seen yet. */
  handedOver(first: { topic: string; offset: number }): void {
    if (!this.#committed.has(first.topic)) this.#committed.set(first.topic, first.offset);
    if (!this.#submitted.has(first.topic)) this.#submitted.set(first.topic, first.offset);
  }

  /**
   * The next offset of `topic` after the batches processed and still to be committed (in flight) or committed;
   * `undefined` before the partition's first batch. After a commit failed, the last committed batch's.
   */
  processed(topic: string): number | undefined {
    return this.#submitted.get(topic);
  }

  /** A batch is about to be processed from stream time `streamTime` (returned). */
  starting(streamTime: number): number {
    this.streamTime ??= streamTime;
    return streamTime;
  }

  /** A batch's commit succeeded; the partition's stream time after it was `streamTime`. */
  committed(result: BatchResult, streamTime: number): void {
    for (const p of result.positions) this.#committed.set(p.topic, p.offset);
    this.streamTime = streamTime;
  }

  /** Resolves once every batch in flight now has settled (a commit failing after them waits for them first). */
  settled(): Promise<unknown> {
    // Asked for every batch; with one batch at a time (the embedded default) nothing is in flight.
    return this.#inFlight.length === 0 ? NOTHING_IN_FLIGHT : Promise.all(this.#inFlight.map((entry) => entry.settled));
  }

  /**
   * Where each input topic's records must start again: after the batches in flight (`'submitted'`: a batch failed
   * before its commit was asked for), or after the last committed batch (`'committed'`: a commit failed, and every
   * batch after it with it; ask once the batches before the failed one have settled).
   */
  restartAt(after: 'submitted' | 'committed'): Map<string, number> {
    if (after === 'committed') this.#submitted = new Map(this.#committed);
    return new Map(after === 'committed' ? this.#committed : this.#submitted);
  }

  /**
   * Adds a batch whose commit was just asked for; `outcome` handles the commit's result (its promise's rejection is
   * handled there). Returns the promise of its having settled and left.
   */
  add(result: BatchResult, outcome: Promise<void>): Promise<void> {
    for (const p of result.positions) this.#submitted.set(p.topic, p.offset);
    const entry: InFlight = { result, live: true, settled: Promise.resolve() };
    entry.settled = outcome.finally(() => {
      const at = this.#inFlight.indexOf(entry);
      if (at >= 0) this.#inFlight.splice(at, 1);
    });
    this.#inFlight.push(entry);
    return entry.settled;
  }

  /**
   * Keeps a processed batch whose commit must wait for room in flight, merged into the batches held already (the
   * latest change of each key, emits in order, the later positions, counts summed): its changes are read by the
   * batches after it, its positions count as processed, and it is committed as one when {@link takeHeld} hands it
   * over — so that processing need not wait for a commit, and the commits are no more than without holding.
   */
  hold(result: BatchResult, streamAfter: number): void {
    for (const p of result.positions) this.#submitted.set(p.topic, p.offset);
    const held = this.#held;
    if (held === undefined) {
      this.#held = { result, streamAfter, chain: this.chain };
      return;
    }
    const into = held.result;
    for (const [key, change] of result.changes) {
      into.changes.delete(key);
      into.changes.set(key, change);
    }
    for (const record of result.emitted) into.emitted.push(record);
    for (const position of result.positions) {
      const at = into.positions.findIndex((p) => p.topic === position.topic);
      if (at >= 0) into.positions[at] = position;
      else into.positions.push(position);
    }
    into.processed += result.processed;
    into.deadLettered += result.deadLettered;
    into.late += result.late;
    held.streamAfter = streamAfter;
  }

  /** Resolves once fewer than `limit` batches are in flight and none is held. */
  async room(limit: number): Promise<void> {
    while (this.#inFlight.length > 0 && (this.#inFlight.length >= limit || this.#held !== undefined)) await this.#inFlight[0].settled;
  }

  /** Records in the held batch (0 when none). */
  get heldRecords(): number {
    return this.#held?.result.processed ?? 0;
  }

  /** Hands over the held batch (its commit to be asked for now), if any. */
  takeHeld(): HeldBatch | undefined {
    const held = this.#held;
    this.#held = undefined;
    this.#heldTaken?.resolve();
    this.#heldTaken = undefined;
    return held;
  }

  /** Resolves once the batch held now was taken (or dropped); at once when none is. */
  heldTaken(): Promise<void> {
    if (this.#held === undefined) return Promise.resolve();
    if (this.#heldTaken === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#heldTaken = { promise, resolve };
    }
    return this.#heldTaken.promise;
  }

  /**
   * A failure of `chain` was seen: the batches in flight are dropped from what later batches read (none of them
   * will be committed), and a new chain and generation start. False if this chain's failure was handled already.
   */
  broke(chain: CommitChain): boolean {
    if (this.chain !== chain) return false;
    for (const entry of this.#inFlight) entry.live = false;
    this.takeHeld();
    this.#submitted = new Map(this.#committed);
    this.chain = { failure: undefined };
    this.generation += 1;
    return true;
  }

  /** The partition moved away (drained first): batches handed over before are stale, and a new chain starts. */
  reset(): void {
    this.broke(this.chain);
    this.#committed.clear();
    this.#submitted.clear();
    this.streamTime = undefined;
  }

  /** Resolves once every batch in flight now has settled. */
  async drained(): Promise<void> {
    while (this.#inFlight.length > 0) await this.settled();
  }

  /**
   * Values of `keys` as the next batch sees them: the latest change among the held batch and the batches in flight,
   * else `committed` (asked once, for the keys none of them changed). Absent keys map to `undefined`.
   */
  read(keys: Iterable<string>, committed: (keys: Iterable<string>) => Map<string, Buffer | undefined>): Map<string, Buffer | undefined> {
    const held = this.#held?.result.changes;
    if (this.#inFlight.length === 0 && held === undefined) return committed(keys);
    const out = new Map<string, Buffer | undefined>();
    const misses: string[] = [];
    for (const key of keys) {
      if (out.has(key)) continue;
      let change = held?.get(key);
      for (let i = this.#inFlight.length - 1; i >= 0 && change === undefined; i--) {
        if (this.#inFlight[i].live) change = this.#inFlight[i].result.changes.get(key);
      }
      if (change !== undefined) {
        out.set(key, change.bytes ?? undefined);
      } else {
        misses.push(key);
        out.set(key, undefined);
      }
    }
    if (misses.length > 0) for (const [key, bytes] of committed(misses)) out.set(key, bytes);
    return out;
  }
}
