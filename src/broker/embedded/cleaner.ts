import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { compact } from './compaction.ts';
import { type CleaningContext, enforceRetention } from './retention.ts';
import type { Store } from './store.ts';
import type { TopicState } from './partition-log.ts';
import type { TopicRegistry } from './topics.ts';

export interface CleanerOptions {
  store: Store;
  intervalMs: number;
  chunkSize: number;
  deleteRetentionMs: number;
}

/**
 * Background retention and compaction. Runs every `intervalMs` (timer `unref()`ed, so it never keeps the process
 * alive) and on demand; passes never overlap. Work is done in chunks with a yield to the event loop between
 * them, because SQLite calls are synchronous.
 */
export class Cleaner {
  readonly #topics: TopicRegistry;
  readonly #options: CleanerOptions;
  readonly #logger: Logger | undefined;
  readonly #context: CleaningContext;
  #timer: NodeJS.Timeout | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #stopped = false;

  constructor(topics: TopicRegistry, options: CleanerOptions, logger?: Logger) {
    this.#topics = topics;
    this.#options = options;
    this.#logger = logger;
    this.#context = {
      store: options.store,
      chunkSize: options.chunkSize,
      pause: async () => {
        await yieldToLoop();
        return !this.#stopped;
      },
    };
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#run(null, true, true, true).catch((err) => this.#logger?.error({ err }, 'embedded broker: cleaning failed'));
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Compacts the named compacted topic (or all of them) now; resolves with how many records were removed. */
  compactNow(topic?: string): Promise<number> {
    return this.#run(topic ?? null, true, false);
  }

  /** Applies retention to the named topic (or all) now; resolves with how many records were removed. */
  enforceRetentionNow(topic?: string): Promise<number> {
    return this.#run(topic ?? null, false, true);
  }

  /** `background`: compacts only the partitions that are due (see `worthCompacting`). */
  #run(name: string | null, compaction: boolean, retention: boolean, background = false): Promise<number> {
    const run = this.#chain.then(async () => {
      if (this.#stopped) return 0;
      const topics: TopicState[] = name === null ? this.#topics.all() : [this.#topics.require(name)];
      let removed = 0;
      for (const topic of topics) {
        for (const log of topic.logs) {
          if (this.#stopped) return removed;
          if (topic.compacted && compaction) {
            const deleteRetentionMs = topic.deleteRetentionMs ?? this.#options.deleteRetentionMs;
            removed += await compact(log, this.#context, deleteRetentionMs, background);
          } else if (!topic.compacted && retention) {
            removed += await enforceRetention(log, this.#context);
          }
        }
      }
      if (removed > 0) this.#logger?.debug({ removed, topic: name ?? undefined }, 'embedded broker: cleaned');
      return removed;
    });
    this.#chain = run.catch(() => {});
    return run;
  }

  /** Stops the timer and waits for a pass in progress to reach its next yield point. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#chain;
  }
}
