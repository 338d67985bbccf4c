/** A wrapper of functions of one shape: takes the next one, returns one that may act around it. */
export type Wrapper<F> = (next: F) => F;

/** `wrappers` around `inner`, the first outermost: `compose([a, b], h)` is `a(b(h))`. */
export function compose<F>(wrappers: readonly Wrapper<F>[], inner: F): F {
  return wrappers.reduceRight((next, wrap) => wrap(next), inner);
}
