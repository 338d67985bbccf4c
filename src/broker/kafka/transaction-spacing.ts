/**
 * When a transactional committer's next transaction starts. Under load — a commit made while a transaction runs, or
 * after one that carried several calls or {@link LOADED_RECORDS}+ records — it starts up to `intervalMs` after the
 * last one's start, and the calls made meanwhile join it: fewer, larger transactions, each of which costs Kafka five
 * requests and the markers it writes (see `DEFAULT_TRANSACTION_INTERVAL_MS`). Otherwise at once: a sparse commit,
 * such as a lone processor's one record, does not wait.
 *
 * How far apart follows how busy this thread's event loop is ({@link spacingShare}): the fewer transactions help
 * throughput only when the CPU is what runs out. With time to spare, a transaction starts as soon as the last one
 * ended. The wallet on the local Kafka node (`bench/wallet.ts`, 2 vCPU shared with the JVM): always 20 ms apart,
 * 12,137–12,815 deposits/s and a deposit→visible p50 of 19–25 ms at half that load; always back to back,
 * 7,889–9,579/s and 7.5–8.5 ms. The event loop was 97–99% busy at full load either way, 58–73% (spaced) or 81–85%
 * (back to back) at half load.
 *
 * A transaction that starts without a wait lets {@link TURNS_BEFORE_START} turns of the event loop pass first
 * ({@link TransactionSpacing.waiter}), so that it carries the calls those turns bring: a processor keeps only so
 * many batches ahead of their commits, and the end of one transaction lets its next batch through, whose call
 * otherwise missed the transaction starting at that very moment and waited for the one after. The wallet on the
 * local Kafka node at 6,000 deposits/s, 14 alternating pairs: deposit→visible p50 median 20.1 ms against 24.4
 * (lower in 11 pairs), full-load throughput the same (medians 11,975 and 11,808 deposits/s); in an instrumented
 * build, a deposit reached its processor 5–7 ms after it was accepted against 7–10, and its commit resolved 15–22
 * ms after against 19–25 (BENCHMARKS.md, wallet, 2026-12-05 20:50).
 */
import { recentUtilization, SATURATED } from '../../kit/event-loop-load.ts';

/** A transaction with this many records (or several calls) means load. */
export const LOADED_RECORDS = 16;
/**
 * Turns of the event loop a transaction that would start at once lets pass first. A batch let through by the end of
 * the last transaction is handed over in the first (a consumer hands batches over on `setImmediate`) and processed
 * in its microtasks; the transaction starts in the second.
 */
export const TURNS_BEFORE_START = 2;
/** Event loop utilization up to which transactions are not spaced at all. */
export const SPARE_BELOW = 0.75;
/** Event loop utilization from which transactions are spaced the whole interval. */
export const SATURATED_FROM = SATURATED;

/** The share of the interval to space transactions by, for an event loop this busy (0–1): 0 below, 1 at saturation. */
export function spacingShare(utilization: number): number {
  return Math.min(1, Math.max(0, (utilization - SPARE_BELOW) / (SATURATED_FROM - SPARE_BELOW)));
}

export class TransactionSpacing {
  readonly #intervalMs: number;
  readonly #utilization: () => number;
  /** When the last transaction started (`performance.now()`). */
  #lastStart = -Infinity;
  #running = false;
  /** Whether the last transaction carried several calls or at least {@link LOADED_RECORDS} records. */
  #loaded = false;

  /** `utilization`: how busy the thread is (0–1); by default its event loop's recent utilization. */
  constructor(intervalMs: number, utilization: () => number = recentUtilization) {
    this.#intervalMs = intervalMs;
    this.#utilization = utilization;
  }

  /**
   * For a transaction being scheduled now (its first call just came): a function giving the milliseconds to wait
   * once it may run (after the one in flight, if any), 0 for at once.
   */
  schedule(): () => number {
    const spaced = (this.#running || this.#loaded) && this.#intervalMs > 0;
    if (!spaced) return () => 0;
    const interval = this.#intervalMs * spacingShare(this.#utilization());
    return () => Math.max(0, this.#lastStart + interval - performance.now());
  }

  /**
   * For a transaction being scheduled now: resolves once it may start (after the one in flight, if any, ended):
   * spaced as {@link schedule} says, else after {@link TURNS_BEFORE_START} turns of the event loop.
   */
  waiter(): () => Promise<void> {
    const delay = this.schedule();
    return async () => {
      const wait = delay();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      else for (let turn = 0; turn < TURNS_BEFORE_START; turn++) await new Promise((resolve) => setImmediate(resolve));
    };
  }

  /** A transaction starts now, with these calls and records. */
  started(calls: number, records: number): void {
    this.#lastStart = performance.now();
    this.#running = true;
    this.#loaded = calls > 1 || records >= LOADED_RECORDS;
  }

  /** The transaction ended (committed, aborted or not started after all). */
  ended(): void {
    this.#running = false;
  }
}

/**
 * The spacing of one transactional member: `fixedMs` in full whatever the load when the member asks for it
 * (`ConsumerOptions.transactionIntervalMs`), else the broker's `intervalMs` as the process's `load` says.
 */
export function memberSpacing(intervalMs: number, load: (() => number) | undefined, fixedMs: number | undefined): TransactionSpacing {
  return fixedMs === undefined ? new TransactionSpacing(intervalMs, load) : new TransactionSpacing(fixedMs, () => 1);
}
