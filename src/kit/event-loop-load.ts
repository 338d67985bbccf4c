/**
 * How busy this thread's event loop has been lately: its utilization (0 = idle, 1 = never waiting for I/O) over the
 * last window of at least {@link WINDOW_MS}, sampled when asked (no timer) and shared by every caller in the thread.
 * A window is measured from the previous sample, so after a quiet spell without callers the first answer averages
 * over that whole spell.
 */
import { performance } from 'node:perf_hooks';

/** Shortest window a sample covers: long enough to smooth single turns, short enough to follow a load change. */
export const WINDOW_MS = 250;

/**
 * Utilization from which an event loop counts as saturated: it has no time to spare for smaller, more frequent work
 * (Kafka transactions are spaced the whole interval, processors wait a little for room before taking more records).
 * The wallet on the local Kafka node measured 97–99% at full load and mostly below 95% at half of it.
 */
export const SATURATED = 0.95;

let mark = performance.eventLoopUtilization();
let markedAt = performance.now();
let recent = 0;

/** The event loop's utilization over the last window (0–1). */
export function recentUtilization(): number {
  const now = performance.now();
  if (now - markedAt >= WINDOW_MS) {
    const current = performance.eventLoopUtilization();
    recent = performance.eventLoopUtilization(current, mark).utilization;
    mark = current;
    markedAt = now;
  }
  return recent;
}
