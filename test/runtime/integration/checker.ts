/**
 * Checks per-key ordering as records run: a key must never run two records at once, and each record of a key
 * must be the one after the last that succeeded (sequence numbers 0, 1, 2, … per key). Any inversion, skip or
 * overlap is recorded as a violation.
 */
export class OrderChecker {
  readonly violations: string[] = [];
  readonly #running = new Map<string, number>();
  readonly #lastDone = new Map<string, number>();
  #concurrent = 0;
  maxConcurrent = 0;
  completed = 0;

  start(key: string, seq: number): void {
    const running = this.#running.get(key);
    if (running !== undefined) this.violations.push(`${key}#${seq} started while ${key}#${running} runs`);
    const expected = (this.#lastDone.get(key) ?? -1) + 1;
    if (seq !== expected) this.violations.push(`${key}#${seq} started, expected ${key}#${expected}`);
    this.#running.set(key, seq);
    this.#concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.#concurrent);
  }

  end(key: string, seq: number, ok: boolean): void {
    this.#running.delete(key);
    this.#concurrent -= 1;
    if (!ok) return;
    this.#lastDone.set(key, seq);
    this.completed += 1;
  }

  /** The last sequence number of `key` that succeeded. */
  lastDone(key: string): number | undefined {
    return this.#lastDone.get(key);
  }
}
