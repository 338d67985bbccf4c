/**
 * Spaces requests to one destination at most `ratePerSec` apart, evenly (no bursts): each caller reserves the next
 * free start time and waits until then. Reservations are handed out in call order, so a destination's rate is
 * shared fairly by the users waiting on it.
 */
export class RateLimiter {
  readonly #intervalMs: number;
  #next = 0;

  constructor(ratePerSec: number) {
    this.#intervalMs = 1000 / ratePerSec;
  }

  /** Reserves a start time; returns how long to wait for it (0 when a request may start now). */
  reserve(now = performance.now()): number {
    const at = Math.max(now, this.#next);
    this.#next = at + this.#intervalMs;
    return Math.ceil(at - now);
  }
}
