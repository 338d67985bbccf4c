/**
 * `read`, called at most once per turn of the event loop: every call until the turn's check phase gets the first
 * call's value. For values the runtime's fast path needs per record that cost more to read than the rest of a light
 * record's handling and change rarely within a turn; a value is stale by at most the synchronous work done in the
 * turn before it.
 */
export function perTurn<T>(read: () => T): () => T {
  let value: T;
  let fresh = false;
  const forget = () => {
    fresh = false;
  };
  return () => {
    if (!fresh) {
      value = read();
      fresh = true;
      setImmediate(forget).unref();
    }
    return value;
  };
}

/** Wall-clock time (epoch ms) read once per turn: when a record's first attempt began, on the fast path. */
export const turnNow: () => number = perTurn(Date.now);
