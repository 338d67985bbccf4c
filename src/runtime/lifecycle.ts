import type { Logger } from 'pino';

/** Anything long-running: started once, stopped once, in reverse order of starting. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  /** Stops accepting new work, finishes (or abandons at the deadline) in-flight work, releases resources. */
  stop(): Promise<void>;
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
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    if (Number.isFinite(ms)) timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
  });
  try {
    return await Promise.race([work.then(() => 'done' as const), timeout]);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves with an exit code once the first SIGINT/SIGTERM/SIGQUIT has stopped the lifecycle within `timeoutMs`: 0 when
 * everything stopped cleanly, 1 when work was abandoned. A second signal resolves 1 at once.
 */
export function stopOnSignals(lifecycle: Lifecycle, logger: Logger, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        logger.warn({ signal }, 'second signal; exiting now');
        return resolve(1);
      }
      received = true;
      logger.info({ signal, timeoutMs }, 'shutting down');
      void lifecycle.stop(timeoutMs).then((result) => {
        logger.info(result, result.clean ? 'stopped cleanly' : 'stopped, abandoning work');
        resolve(result.clean ? 0 : 1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGQUIT', onSignal);
  });
}
