import type { Logger } from 'pino';
import { withTimeout } from '../kit/timeout.ts';
import type { TopicDeclaration } from '../topology/declaration.ts';

/** Anything long-running: started once, stopped once, in reverse order of starting. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Stops accepting new work, finishes (or abandons at the deadline) in-flight work, releases resources. */
  stop(): Promise<void>;
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
   * Stops started components in reverse order within `timeoutMs` overall. Components still stopping at the
   * deadline are reported as abandoned. Calling again returns the same result.
   */
  stop(timeoutMs: number): Promise<StopResult> {
    this.#stopping ??= this.#stopAll(timeoutMs);
    return this.#stopping;
  }

  async #stopAll(timeoutMs: number): Promise<StopResult> {
    const deadline = Date.now() + timeoutMs;
    const abandoned: string[] = [];
    let clean = true;
    for (const component of [...this.#started].reverse()) {
      const left = deadline - Date.now();
      const outcome = await settleWithin(component.stop(), left);
      if (outcome === 'timeout') {
        abandoned.push(component.name);
        clean = false;
        this.#logger.warn({ component: component.name }, 'stop deadline passed; abandoning');
      } else if (outcome instanceof Error) {
        clean = false;
        this.#logger.error({ err: outcome, component: component.name }, 'stop failed');
      }
    }
    return { clean, abandoned };
  }
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
