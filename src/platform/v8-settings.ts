/**
 * V8 settings the `herald` command applies to its process before anything else runs.
 *
 * External memory counted in the heap's global limit (`--external-memory-accounted-in-global-limit`): the bytes of
 * `Buffer`s and other `ArrayBuffer`s no longer trigger collections of their own. Herald's heap is small (~20 MB
 * live in a broker) while its buffers churn fast — record batches read out of SQLite, fetch answers, HTTP bodies —
 * and V8 ran a full mark-compact every ~75 ms while a Kafka client read a backlog from the embedded listener, over a
 * third of the broker's CPU there. With it: ConsumerPerformance reading 1,000,000 records took the broker 335–432 ms
 * of CPU against 594–659 (2026-12-05 22:10, BENCHMARKS.md), for ~60 MB more resident memory at the peak (258 MB
 * against 195; external buffers 91 MB against 30). Delivery, batch ingest and the wallet measured the same with and
 * without it.
 *
 * An application that embeds Herald (its own process) can apply the same with this function or with
 * `node --external-memory-accounted-in-global-limit`.
 */
import { setFlagsFromString } from 'node:v8';

/** The V8 flags {@link applyV8Settings} sets. */
export const V8_FLAGS: readonly string[] = Object.freeze(['--external-memory-accounted-in-global-limit']);

/** Sets {@link V8_FLAGS} for this process (process-wide; V8 reads them when it next sizes its collections). */
export function applyV8Settings(): void {
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
}
