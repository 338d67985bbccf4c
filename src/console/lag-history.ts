/**
 * The lag of this process's own consumer groups over the last hour, sampled from its metrics (the handler runtime's
 * `herald_handler_consumer_lag` and the processors' `herald_processor_lag`, summed per group) every few seconds, so
 * that a group's page can draw its history from before it was opened. Groups of other processes have no history
 * here: their page draws from the moment it is opened.
 */
import type { Registry } from 'prom-client';

/** One sample: when (ms since the epoch) and the group's total lag. */
export interface LagSample {
  at: number;
  lag: number;
}

const LAG_METRICS = ['herald_handler_consumer_lag', 'herald_processor_lag'];

export class LagHistory {
  readonly #registry: Registry;
  readonly #keep: number;
  readonly #samples = new Map<string, LagSample[]>();
  readonly #timer: NodeJS.Timeout;

  /** Starts sampling every `everyMs` (default 5 s), keeping `keep` samples a group (default 720: an hour). */
  constructor(registry: Registry, options: { everyMs?: number; keep?: number } = {}) {
    this.#registry = registry;
    this.#keep = options.keep ?? 720;
    this.#timer = setInterval(() => void this.sample(), options.everyMs ?? 5_000);
    this.#timer.unref();
  }

  /** Takes one sample of every group the metrics show now. */
  async sample(at = Date.now()): Promise<void> {
    const totals = new Map<string, number>();
    for (const name of LAG_METRICS) {
      for (const { labels, value } of (await this.#registry.getSingleMetric(name)?.get())?.values ?? []) {
        if (labels.group === undefined) continue;
        const group = String(labels.group);
        totals.set(group, (totals.get(group) ?? 0) + value);
      }
    }
    for (const [group, lag] of totals) {
      let samples = this.#samples.get(group);
      if (samples === undefined) this.#samples.set(group, (samples = []));
      samples.push({ at, lag });
      if (samples.length > this.#keep) samples.splice(0, samples.length - this.#keep);
    }
  }

  /** The samples of a group, oldest first; empty for a group this process does not run. */
  of(group: string): readonly LagSample[] {
    return this.#samples.get(group) ?? [];
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
