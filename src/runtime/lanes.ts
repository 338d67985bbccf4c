/** The state of one lane: whether an item holds it (started or waiting for a slot), and who waits behind it. */
export interface Lane<T> {
  busy: boolean;
  /** Items waiting behind the current one, oldest first; `null` while none wait (most lanes never have waiters). */
  waiting: T[] | null;
}

interface KeyedLane<T> extends Lane<T> {
  /** A copy of the key (never a view into a fetched batch, which it would keep alive). */
  readonly key: Buffer;
}

/** Idle lanes kept for reuse before a sweep. */
const SWEEP_AT = 1_024;
/** Bytes hashed from each end of a long key (every byte of a shorter one). Equality is always checked in full. */
const HASHED_END = 32;
/** Keys up to this long are compared in JavaScript; longer ones by `Buffer.equals`. */
const COMPARED_INLINE = 64;

/** FNV-1a over the key's bytes (its two ends when long) and its length, folded into a small integer. */
function hashOf(key: Buffer): number {
  const length = key.length;
  let hash = 0x811c9dc5 ^ length;
  if (length <= 2 * HASHED_END) {
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ key[i], 0x01000193);
  } else {
    for (let i = 0; i < HASHED_END; i++) hash = Math.imul(hash ^ key[i], 0x01000193);
    for (let i = length - HASHED_END; i < length; i++) hash = Math.imul(hash ^ key[i], 0x01000193);
  }
  return hash & 0x3fffffff;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  const length = a.length;
  if (length !== b.length) return false;
  if (length > COMPARED_INLINE) return a.equals(b);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The lanes of one partition, found by the record key's bytes: equal bytes, the same lane; different bytes,
 * different lanes. Looked up by a hash of the bytes and confirmed by comparing them, so the usual lookup costs a
 * short loop and an integer-keyed map read, with no string made per record. Keys that hash alike (rare) get lanes
 * of their own, found by their text.
 *
 * An idle lane stays until a sweep, so that the next record of a key (keys repeat) finds it rather than costing
 * an insertion and a deletion per record.
 */
export class LaneTable<T> {
  readonly #byHash = new Map<number, KeyedLane<T>>();
  /** Lanes whose hash another lane had when they were made, by the key's `latin1` text. */
  readonly #collided = new Map<string, KeyedLane<T>>();
  /** Lanes at which idle ones are swept out (grows when most are busy, so sweeps stay amortised O(1)). */
  #sweepAt = SWEEP_AT;

  /** Lanes remembered (busy, or idle and not swept yet). */
  get size(): number {
    return this.#byHash.size + this.#collided.size;
  }

  /** The lane of `key`, made if needed. */
  lane(key: Buffer): Lane<T> {
    const hash = hashOf(key);
    const lane = this.#byHash.get(hash);
    if (lane !== undefined && sameBytes(lane.key, key)) return lane;
    return this.#find(key, hash);
  }

  /** The lane of `key` when the hashed lane is not it: a collided lane, or a new one. */
  #find(key: Buffer, hash: number): Lane<T> {
    if (this.size >= this.#sweepAt) this.#sweep();
    const text = this.#collided.size > 0 || this.#byHash.has(hash) ? key.toString('latin1') : undefined;
    if (text !== undefined) {
      const collided = this.#collided.get(text);
      if (collided !== undefined) return collided;
    }
    const made: KeyedLane<T> = { busy: false, waiting: null, key: Buffer.from(key) };
    if (this.#byHash.has(hash)) this.#collided.set(text as string, made);
    else this.#byHash.set(hash, made);
    return made;
  }

  /** Forgets idle lanes. */
  #sweep(): void {
    for (const [hash, lane] of this.#byHash) if (!lane.busy) this.#byHash.delete(hash);
    for (const [text, lane] of this.#collided) if (!lane.busy) this.#collided.delete(text);
    this.#sweepAt = Math.max(SWEEP_AT, 2 * this.size);
  }
}
