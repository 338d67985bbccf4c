import { Queue } from './queue.ts';

/** The state of one lane: whether an item holds it (started or waiting for a slot), and who waits behind it. */
interface Lane<T> {
  busy: boolean;
  /** Items waiting behind the current one, oldest first; `null` while none wait (most lanes never have waiters). */
  waiting: T[] | null;
}

/** Idle lanes kept for reuse before a sweep. */
const SWEEP_AT = 1_024;

/**
 * How records of one partition may overlap:
 * - `key` (default): records with the same key run one at a time in offset order; different keys run concurrently.
 *   Records without a key carry no ordering intent (Kafka spreads them over partitions) and run unordered.
 * - `partition`: one record at a time, in offset order (the classic consumer loop).
 * - `unordered`: any record may run alongside any other, up to the concurrency limit.
 */
export type OrderingMode = 'key' | 'partition' | 'unordered';

/** What the scheduler needs of an item: its lane key (`latin1` of the record key, or `null` for none). */
export interface Schedulable {
  readonly lane: string | null;
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
  /**
   * Lanes seen lately. An idle lane stays in the map until a sweep, so that the next record of a key (keys repeat)
   * costs one lookup rather than an insertion and a deletion per record.
   */
  readonly #lanes = new Map<string, Lane<T>>();
  /** Lanes in the map at which idle ones are swept out (grows when most are busy, so sweeps stay amortised O(1)). */
  #sweepAt = SWEEP_AT;
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

  #laneOf(item: T): string | null {
    if (this.mode === 'partition') return '';
    return this.mode === 'key' ? item.lane : null;
  }

  /** Accepts an item; it starts after every earlier item of its lane. */
  push(item: T): void {
    this.#queued += 1;
    const lane = this.#laneOf(item);
    if (lane === null) return void this.#ready.push(item);
    let state = this.#lanes.get(lane);
    if (state === undefined) {
      if (this.#lanes.size >= this.#sweepAt) this.#sweep();
      state = { busy: false, waiting: null };
      this.#lanes.set(lane, state);
    }
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

  /** Forgets idle lanes. */
  #sweep(): void {
    for (const [lane, state] of this.#lanes) if (!state.busy) this.#lanes.delete(lane);
    this.#sweepAt = Math.max(SWEEP_AT, 2 * this.#lanes.size);
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
