import type { Logger } from 'pino';
import { isHeraldError } from '../errors.ts';
import { withTimeout } from '../kit/timeout.ts';
import type { TopicDeclaration } from '../topology/declaration.ts';
import { type StopStage, stopDeadlines } from './stop-budget.ts';

export type { StopStage } from './stop-budget.ts';

/** Anything long-running: started once, stopped once, in reverse order of starting. */
export interface Component {
  readonly name: string;
  /** Which share of the shutdown budget it stops within (see `STOP_SHARES`); default `services`. */
  readonly stage?: StopStage;
  start(): Promise<void>;
  /**
   * Stops accepting new work, finishes (or abandons at the deadline) in-flight work, releases resources.
   * `budgetMs` is how long it has (Infinity: no limit): a component that can cut its work short does so in time
   * and may reject with `HERALD_TIMEOUT` to say it abandoned some; one that overruns is abandoned by the lifecycle.
   */
  stop(budgetMs?: number): Promise<void>;
  /** The topics it reads and writes (a router's inputs, outputs, dead letters): checked and created by boot. */
  topology?(): TopicDeclaration[];
}

/** How a stop ended: `clean` is false when a component failed or the deadline passed with work unfinished. */
export interface StopResult {
  clean: boolean;
  abandoned: string[];
}

/**
 * Starts components in order and stops them in reverse. If a start fails, the ones already started are stopped
 * and the error is rethrown.
 */
export class Lifecycle {
  readonly #components: Component[] = [];
  readonly #started: Component[] = [];
  readonly #logger: Logger;
  #stopping: Promise<StopResult> | undefined;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  add(...components: Component[]): this {
    this.#components.push(...components);
    return this;
  }

  /** True once every component has started and none has begun stopping. */
  get ready(): boolean {
    return this.#stopping === undefined && this.#started.length === this.#components.length;
  }

  async start(): Promise<void> {
    for (const component of this.#components) {
      this.#logger.debug({ component: component.name }, 'starting');
      try {
        await component.start();
      } catch (err) {
        this.#logger.error({ err, component: component.name }, 'start failed; stopping what started');
        await this.stop(Number.POSITIVE_INFINITY);
        throw err;
      }
      this.#started.push(component);
    }
  }

  /**
   * Stops started components in reverse order within `timeoutMs` overall, each within its own deadline (its
   * stage's share, plus what the components before it left unused: see `stopDeadlines`). Components still stopping
   * at their deadline, or rejecting with `HERALD_TIMEOUT`, are reported as abandoned. Calling again returns the same
   * result.
   */
  stop(timeoutMs: number): Promise<StopResult> {
    this.#stopping ??= this.#stopAll(timeoutMs);
    return this.#stopping;
  }

  async #stopAll(timeoutMs: number): Promise<StopResult> {
    const begun = Date.now();
    const order = [...this.#started].reverse();
    const deadlines = stopDeadlines(
      order.map((c) => c.stage ?? 'services'),
      timeoutMs,
    );
    const abandoned: string[] = [];
    let clean = true;
    for (const [i, component] of order.entries()) {
      const left = Math.max(0, begun + deadlines[i] - Date.now());
      const outcome = await settleWithin(stopSafely(component, left), left);
      if (outcome === 'timeout' || isHeraldError(outcome, 'HERALD_TIMEOUT')) {
        abandoned.push(component.name);
        clean = false;
        const reason = outcome === 'timeout' ? 'stop deadline passed' : outcome.message;
        this.#logger.warn({ component: component.name, budgetMs: Math.round(left) }, `${reason}; abandoning`);
      } else if (outcome instanceof Error) {
        clean = false;
        this.#logger.error({ err: outcome, component: component.name }, 'stop failed');
      }
    }
    return { clean, abandoned };
  }
}

/** `component.stop(budget)`, with a synchronous throw turned into a rejection. */
async function stopSafely(component: Component, budgetMs: number): Promise<void> {
  await component.stop(budgetMs);
}

async function settleWithin(work: Promise<void>, ms: number): Promise<'done' | 'timeout' | Error> {
  try {
    return await withTimeout(
      work.then(() => 'done' as const),
      ms,
      () => 'timeout' as const,
    );
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
