import type { Logger } from 'pino';
import { ClassicGroup } from './classic-group.ts';

/**
 * The Kafka-protocol consumer groups of one listener. A group exists while it has members (or members-to-be);
 * its committed offsets live in the broker's store, shared with Herald's own groups, and outlive it.
 */
export class ClassicGroups {
  readonly #groups = new Map<string, ClassicGroup>();
  readonly #initialRebalanceDelayMs: number;
  readonly #logger: Logger | undefined;

  constructor(options: { initialRebalanceDelayMs: number; logger: Logger | undefined }) {
    this.#initialRebalanceDelayMs = options.initialRebalanceDelayMs;
    this.#logger = options.logger;
  }

  get(id: string): ClassicGroup | undefined {
    return this.#groups.get(id);
  }

  getOrCreate(id: string): ClassicGroup {
    let group = this.#groups.get(id);
    if (group === undefined) {
      group = new ClassicGroup(id, {
        initialRebalanceDelayMs: this.#initialRebalanceDelayMs,
        logger: this.#logger,
        onEmpty: (g) => {
          if (this.#groups.get(g.id) === g) this.#groups.delete(g.id);
        },
      });
      this.#groups.set(id, group);
    }
    return group;
  }

  /** Whether Kafka clients hold `id` now (Herald's own consumers may not join it then). */
  active(id: string): boolean {
    return this.#groups.get(id)?.active ?? false;
  }

  all(): ClassicGroup[] {
    return [...this.#groups.values()];
  }

  shutdown(): void {
    for (const group of this.#groups.values()) group.shutdown();
    this.#groups.clear();
  }
}
