/**
 * How long a processor waits for room in flight, after a batch processed while the event loop is saturated, before
 * it takes the partition's next records: the records that arrive meanwhile make the next batch larger (fewer
 * fetches and commits once the CPU runs out), and the wait stays short of the commit it waits for.
 *
 * The wait grows with the load: none up to {@link SATURATED}, the whole {@link SATURATED_WAIT_MS} from
 * {@link FULLY_SATURATED}, in proportion between. A fixed wait at any saturation also met the bursts of a load the
 * CPU keeps up with: the wallet on the local Kafka node at 5,000 deposits/s, on a slow hour of this VM, was at 95%
 * busy or more in bursts, and a third of its batches waited the full 10 ms. Graded, ten alternating pairs: deposit
 * → visible p50 median 10.6 against 15.1 ms (lower in 8 of 10), full-load throughput the same (medians 6,911 and
 * 6,747 deposits/s); a fixed 2 ms instead gave 8.0 against 16.6 ms but 7% less throughput, no wait 8.3 ms and ~10%
 * less (BENCHMARKS.md, wallet, 2026-12-06 10:10).
 */
import { SATURATED } from '../kit/event-loop-load.ts';

/**
 * The longest wait. Waiting for the commit itself put the wallet's deposit → visible p99 on Kafka at 65–67 ms with
 * its transactions 40 ms apart and past 100 ms at 100 ms apart; bounded by 8 or 15 ms, 100 ms apart: 20–35 ms, at the
 * same or higher throughput (BENCHMARKS.md, wallet, 2026-12-06 08:10).
 */
export const SATURATED_WAIT_MS = 10;

/** Event loop utilization from which the wait is the whole {@link SATURATED_WAIT_MS} (the wallet at full load: 97–99%). */
export const FULLY_SATURATED = 0.99;

/** Milliseconds to wait for room after a batch processed on an event loop this busy (utilization 0–1). */
export function saturatedWaitMs(utilization: number): number {
  const share = (utilization - SATURATED) / (FULLY_SATURATED - SATURATED);
  return Math.round(SATURATED_WAIT_MS * Math.min(1, Math.max(0, share)));
}
