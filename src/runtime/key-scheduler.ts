import { type Lane, LaneTable } from './lanes.ts';
import { Queue } from './queue.ts';

/**
 * How records of one partition may overlap:
 * - `key` (default): records with the same key run one at a time in offset order; different keys run concurrently.
 *   Records without a key carry no ordering intent (Kafka spreads them over partitions) and run unordered.
 * - `partition`: one record at a time, in offset order (the classic consumer loop).
 * - `unordered`: any record may run alongside any other, up to the concurrency limit.
 */
export type OrderingMode = 'key' | 'partition' | 'unordered';

/** What the scheduler needs of an item: its record key's bytes (`null`: no key). */
export interface Schedulable {
  readonly laneKey: Buffer | null;
  /** Set by the scheduler while the item is accepted: its lane's state, so that `finish` needs no lookup. */
  laneState?: unknown;
}

/**
 * Decides which records of one partition may start now. Pure bookkeeping, no timers or promises: the caller asks
 * `take()` for the next item whenever something changed and starts what it gets.
 *
 * Two limits hold at once: at most `concurrency` items hold a slot, and an item starts only when every earlier item
 * of its lane has finished. A lane stays held by its current item until `finish`, even while that item gives its
 * slot back to wait (`suspend`, e.g. between retries) — so a failing record delays only its own key, and the slot
 * serves other keys meanwhile. An item resuming after such a wait goes before items that never started: it is
 * older, and its lane is blocked until it is done.
 */
export class KeyScheduler<T extends Schedulable> {
  readonly mode: OrderingMode;
  readonly concurrency: number;
  /** Lanes by key (`key` mode). */
  readonly #lanes = new LaneTable<T>();
  /** The one lane of `partition` mode. */
  readonly #partitionLane: Lane<T> = { busy: false, waiting: null };
  /** Items free to start (their lane's current item, or lane-less), oldest first. */
  readonly #ready = new Queue<T>();
  /** Suspended items asking for a slot again. */
  readonly #resuming = new Queue<T>();
  /** Items holding a slot: a count, as every item holds one from `take` to `finish` unless suspended. */
  #holding = 0;
  /** Items that gave their slot back (`suspend`) and have not got it again: rare, so a set costs little. */
  readonly #suspended = new Set<T>();
  #queued = 0;

  constructor(mode: OrderingMode, concurrency: number) {
    this.mode = mode;
    // One lane for the whole partition: at most one item runs, whatever the limit says.
    this.concurrency = mode === 'partition' ? 1 : concurrency;
  }

  /** Items holding a slot now. */
  get running(): number {
    return this.#holding;
  }

  /** Lanes remembered (busy, or idle and not swept yet); for tests. */
  get lanes(): number {
    return this.#lanes.size;
  }

  /** Items accepted and not yet started (waiting for their lane or a slot). */
  get queued(): number {
    return this.#queued;
  }

  #laneOf(item: T): Lane<T> | null {
    if (this.mode === 'partition') return this.#partitionLane;
    const key = this.mode === 'key' ? item.laneKey : null;
    return key === null ? null : this.#lanes.lane(key);
  }

  /** Accepts an item; it starts after every earlier item of its lane. */
  push(item: T): void {
    this.#queued += 1;
    const state = this.#laneOf(item);
    if (state === null) return void this.#ready.push(item);
    item.laneState = state;
    if (!state.busy) {
      state.busy = true;
      this.#ready.push(item);
    } else if (state.waiting === null) {
      state.waiting = [item];
    } else {
      state.waiting.push(item);
    }
  }

  /** The next item to start (or to continue after `resume`), giving it a slot; `undefined` when none may. */
  take(): T | undefined {
    if (this.#holding >= this.concurrency) return undefined;
    if (this.#resuming.length > 0) {
      const resumed = this.#resuming.shift()!;
      this.#suspended.delete(resumed);
      this.#holding += 1;
      return resumed;
    }
    const item = this.#ready.shift();
    if (item === undefined) return undefined;
    this.#queued -= 1;
    this.#holding += 1;
    return item;
  }

  /** The item gives its slot back but keeps its lane (it will `resume` or `finish`). */
  suspend(item: T): void {
    if (this.#suspended.has(item)) return;
    this.#suspended.add(item);
    this.#holding -= 1;
  }

  /** A suspended item wants a slot again; `take()` hands it out before items that never started. */
  resume(item: T): void {
    this.#resuming.push(item);
  }

  /** Withdraws a `resume` request that was not granted yet. */
  cancelResume(item: T): void {
    this.#resuming.remove(item);
  }

  /** The item is over (done or abandoned): its slot and its lane go to the next items. */
  finish(item: T): void {
    if (this.#suspended.delete(item)) this.#resuming.remove(item);
    else this.#holding -= 1;
    const state = item.laneState as Lane<T> | undefined;
    if (state === undefined) return;
    item.laneState = undefined;
    if (state.waiting === null) {
      state.busy = false;
      return;
    }
    this.#ready.push(state.waiting.shift()!);
    if (state.waiting.length === 0) state.waiting = null;
  }
}
