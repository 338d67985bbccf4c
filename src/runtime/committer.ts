import { AsyncResource } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { GroupConsumer, RecordPosition } from '../broker/port.ts';
import { isHeraldError, isRetriable } from '../errors.ts';

const tpKey = (p: { topic: string; partition: number }) => `${p.topic}\u0000${p.partition}`;

/**
 * Commits a group's progress, throttled: at most one commit per `intervalMs` while records complete, plus an
 * immediate one on demand (revocation, shutdown). Commits run one at a time, in order, and only send positions
 * that moved since the last successful commit — each after the `beforeCommit` step (the partitions' flush hooks)
 * resolved for exactly those positions. A failed commit is logged and tried again at the next tick — the
 * positions come from the offset trackers, so a later commit covers an earlier failed one.
 */
export class Committer {
  readonly #consumer: GroupConsumer;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  /** The positions worth committing now (every owned partition's committable offset). */
  readonly #positions: () => RecordPosition[];
  /** Awaited before each commit with the positions about to be committed; a rejection skips that commit. */
  readonly #beforeCommit: ((positions: RecordPosition[]) => Promise<void>) | undefined;
  readonly #committed = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  // Bound to the committer's own async context: `schedule` is called from records' contexts, and commits (and any
  // connection they open) must not continue in, or keep alive, the context of the record that happened to call.
  readonly #tick = AsyncResource.bind(() => {
    this.#timer = undefined;
    void this.flush();
  });

  constructor(
    consumer: GroupConsumer,
    intervalMs: number,
    logger: Logger,
    positions: () => RecordPosition[],
    beforeCommit?: (positions: RecordPosition[]) => Promise<void>,
  ) {
    this.#consumer = consumer;
    this.#intervalMs = intervalMs;
    this.#logger = logger;
    this.#positions = positions;
    this.#beforeCommit = beforeCommit;
  }

  /** Something completed: commit within `intervalMs` (coalescing everything that completes meanwhile). */
  schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(this.#tick, this.#intervalMs);
  }

  /** Commits now, after any commit in progress; `positions` defaults to every owned partition. Never rejects. */
  flush(positions: () => RecordPosition[] = this.#positions): Promise<void> {
    this.#chain = this.#chain.then(() => this.#commit(positions()));
    return this.#chain;
  }

  /** The offset last committed here for a partition, if any. */
  committed(topic: string, partition: number): number | undefined {
    return this.#committed.get(tpKey({ topic, partition }));
  }

  /** Forgets a partition given up (a later owner's commits are not ours to compare with). */
  forget(topic: string, partition: number): void {
    this.#committed.delete(tpKey({ topic, partition }));
  }

  /** No more scheduled commits (explicit `flush` still works until the consumer closes). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #commit(positions: RecordPosition[]): Promise<void> {
    const due = positions.filter((p) => this.#committed.get(tpKey(p)) !== p.offset);
    if (due.length === 0) return;
    if (this.#beforeCommit !== undefined) {
      try {
        await this.#beforeCommit(due);
      } catch (err) {
        // Offsets never pass work that is not durable yet: this commit waits for a flush that succeeds.
        this.#logger.warn({ err, positions: due }, 'flush before commit failed; not committing, will retry');
        if (isRetriable(err)) this.schedule();
        return;
      }
    }
    try {
      await this.#consumer.commit(due);
      for (const p of due) this.#committed.set(tpKey(p), p.offset);
    } catch (err) {
      // Not owned any more (a rebalance raced us): the partition's next owner resumes from the last commit.
      const level = isHeraldError(err, 'HERALD_NOT_ASSIGNED') ? 'info' : 'warn';
      this.#logger[level]({ err, positions: due }, 'commit failed; will retry with the next progress');
      if (isRetriable(err)) this.schedule();
    }
  }
}
