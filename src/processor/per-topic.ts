import type { Broker } from '../broker/port.ts';

/**
 * What the processors and views of one process share about a topic (listeners of its commits, sources of its
 * uncommitted table), kept per broker — one per process and configuration, so that tests and several apps in one
 * process stay apart — and per topic. Each owner adds its item and removes it with the function it got back.
 */
export class PerTopic<T> {
  readonly #byBroker = new WeakMap<Broker, Map<string, Set<T>>>();

  /** Adds `item` under `broker` and `topic`; returns its removal. */
  add(broker: Broker, topic: string, item: T): () => void {
    let topics = this.#byBroker.get(broker);
    if (topics === undefined) this.#byBroker.set(broker, (topics = new Map()));
    let set = topics.get(topic);
    if (set === undefined) topics.set(topic, (set = new Set()));
    set.add(item);
    return () => {
      set.delete(item);
      if (set.size === 0 && topics.get(topic) === set) topics.delete(topic);
    };
  }

  /** The items under `broker` and `topic` now, if any. */
  get(broker: Broker, topic: string): ReadonlySet<T> | undefined {
    return this.#byBroker.get(broker)?.get(topic);
  }
}
