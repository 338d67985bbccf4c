import { Queue } from './queue.ts';

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
   * Items waiting behind the current item of their lane; `null` while none wait (most lanes never have waiters, so
   * no queue is allocated for them). A lane exists while it has a current item.
   */
  readonly #lanes = new Map<string, T[] | null>();
  /** Items free to start (their lane's current item, or lane-less), oldest first. */
  readonly #ready = new Queue<T>();
  /** Suspended items asking for a slot again. */
  readonly #resuming = new Queue<T>();
  /** Items holding a slot. */
  readonly #holding = new Set<T>();
  #queued = 0;

  constructor(mode: OrderingMode, concurrency: number) {
    this.mode = mode;
    // One lane for the whole partition: at most one item runs, whatever the limit says.
    this.concurrency = mode === 'partition' ? 1 : concurrency;
  }

  /** Items holding a slot now. */
  get running(): number {
    return this.#holding.size;
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
    const waiting = this.#lanes.get(lane);
    if (waiting === undefined) {
      this.#lanes.set(lane, null);
      this.#ready.push(item);
    } else if (waiting === null) {
      this.#lanes.set(lane, [item]);
    } else {
      waiting.push(item);
    }
  }

  /** The next item to start (or to continue after `resume`), giving it a slot; `undefined` when none may. */
  take(): T | undefined {
    if (this.#holding.size >= this.concurrency) return undefined;
    const resumed = this.#resuming.shift();
    if (resumed !== undefined) {
      this.#holding.add(resumed);
      return resumed;
    }
    const item = this.#ready.shift();
    if (item === undefined) return undefined;
    this.#queued -= 1;
    this.#holding.add(item);
    return item;
  }

  /** The item gives its slot back but keeps its lane (it will `resume` or `finish`). */
  suspend(item: T): void {
    this.#holding.delete(item);
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
    this.#holding.delete(item);
    this.#resuming.remove(item);
    const lane = this.#laneOf(item);
    if (lane === null) return;
    const waiting = this.#lanes.get(lane);
    if (waiting === null || waiting === undefined) {
      this.#lanes.delete(lane);
      return;
    }
    this.#ready.push(waiting.shift()!);
    if (waiting.length === 0) this.#lanes.set(lane, null);
  }
}
