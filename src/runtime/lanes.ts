/** Slots of the cache; a power of two. Keys beyond it merely miss more often. */
const SLOTS = 2048;
/** Longer keys are converted directly: hashing and comparing them would cost what the conversion costs. */
const MAX_CACHED = 64;

/**
 * Turns record keys into scheduling lanes — the key's bytes as `latin1`, one char per byte, so distinct byte strings
 * give distinct lanes — remembering recent ones. Keys repeat (that is why records are ordered by key), and a
 * remembered lane costs a hash and a comparison in JavaScript instead of a call into the Buffer binding and a new
 * string, whose hash the lane map must compute again. Exact: a cached lane is used only when every byte matches.
 * Only strings are kept, never the key's Buffer (it may be a view into a whole fetched batch).
 */
export class LaneCache {
  readonly #lanes: (string | undefined)[] = new Array(SLOTS);

  lane(key: Buffer): string {
    const length = key.length;
    if (length > MAX_CACHED) return key.toString('latin1');
    let hash = 0x811c9dc5;
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ key[i], 0x01000193);
    const slot = (hash >>> 0) & (SLOTS - 1);
    const cached = this.#lanes[slot];
    if (cached !== undefined && cached.length === length) {
      let i = 0;
      while (i < length && cached.charCodeAt(i) === key[i]) i++;
      if (i === length) return cached;
    }
    const lane = key.toString('latin1');
    this.#lanes[slot] = lane;
    return lane;
  }
}
