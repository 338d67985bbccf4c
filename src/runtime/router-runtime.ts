import type { Logger } from 'pino';
import type { Broker, Producer } from '../broker/port.ts';
import type { RuntimeContext, SharedResource } from './message.ts';

/**
 * The {@link RuntimeContext} of one router: a producer made on first use and resources shared by middleware,
 * each started by its first user. `close` stops resources in reverse order of creation, then the producer.
 */
export class RouterRuntime implements RuntimeContext {
  readonly broker: Broker;
  readonly #logger: Logger;
  #producer: Producer | undefined;
  readonly #resources = new Map<string, Promise<SharedResource>>();

  constructor(broker: Broker, logger: Logger) {
    this.broker = broker;
    this.#logger = logger;
  }

  get producer(): Producer {
    this.#producer ??= this.broker.producer();
    return this.#producer;
  }

  shared<R extends SharedResource>(key: string, create: () => R): Promise<R> {
    let ready = this.#resources.get(key);
    if (ready === undefined) {
      const resource = create();
      ready = resource.start().then(() => resource);
      this.#resources.set(key, ready);
      // A resource that failed to start is forgotten, so that the next record tries again.
      ready.catch(() => this.#resources.delete(key));
    }
    return ready as Promise<R>;
  }

  async close(): Promise<void> {
    const started = await Promise.allSettled([...this.#resources.values()].reverse());
    this.#resources.clear();
    for (const outcome of started) {
      if (outcome.status !== 'fulfilled') continue;
      await outcome.value.stop().catch((err: unknown) => this.#logger.warn({ err }, 'shared resource stop failed'));
    }
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.close();
  }
}
