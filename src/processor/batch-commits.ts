import type { Logger } from 'pino';
import type { Broker, CommitChain, GroupConsumer } from '../broker/port.ts';
import { isHeraldError } from '../errors.ts';
import type { BatchCommitter } from './commit.ts';
import { feedCommitted } from './committed-feed.ts';
import type { CommittedTable } from './committed-table.ts';
import { type BatchResult, changelogRecords, type ProcessorCore } from './core.ts';
import { countCommitted, type ProcessorMetrics } from './metrics.ts';
import type { PartitionPipeline } from './pipeline.ts';

/** Wait before processing a batch again after its commit failed for a reason that may pass (broker unavailable). */
const COMMIT_RETRY_MS = 200;

export interface BatchCommitsOptions {
  group: string;
  /** The table's changelog topic; `undefined` for a processor without a table. */
  tableTopic: string | undefined;
  broker: Broker;
  logger: Logger;
  metrics: ProcessorMetrics | undefined;
  commit: BatchCommitter;
  table: CommittedTable;
  core: ProcessorCore;
  consumer: GroupConsumer;
  /** A commit was refused because the partition moved (fenced, not assigned): forget it until assigned again. */
  drop(partition: number): void;
  /** The local store fell behind a commit that stands: restore the partition before its next record. */
  restoreLater(partition: number): void;
}

/**
 * The commit side of a processor's partitions: asks for a processed batch's commit in its partition's chain (and,
 * once it settled, for the batches held meanwhile), and handles the outcome. Committed: the pipeline's positions
 * and stream time move on, the local table is updated with the partition's checkpoint, and the changelog records
 * are fed to this process's views. Failed: at the chain's first failure the partition goes back to after its last
 * committed batch, or is dropped when it moved.
 */
export class BatchCommits {
  readonly #options: BatchCommitsOptions;

  constructor(options: BatchCommitsOptions) {
    this.#options = options;
  }

  /** Asks for the commit of `result` (a batch, or held batches merged), processed up to `streamAfter`, in `chain`. */
  submit(pipeline: PartitionPipeline, result: BatchResult, streamAfter: number, chain: CommitChain): void {
    const { partition } = result;
    const { tableTopic, broker } = this.#options;
    const changelog = tableTopic === undefined ? [] : changelogRecords(tableTopic, result);
    const earlier = pipeline.settled();
    const outcome = this.#options.commit([...changelog, ...result.emitted], result.positions, chain).then(
      (written) => {
        pipeline.committed(result, streamAfter);
        this.#applied(result, changelog.length === 0 ? undefined : written[changelog.length - 1].offset + 1);
        if (tableTopic !== undefined) feedCommitted(broker, tableTopic, changelog, written);
      },
      (err: unknown) => this.#failed(pipeline, chain, err, partition, earlier),
    );
    void pipeline.add(result, outcome).then(() => {
      const held = pipeline.takeHeld();
      if (held !== undefined) this.submit(pipeline, held.result, held.streamAfter, held.chain);
    });
  }

  /**
   * A new generation (batches handed over before are skipped), and every input of the partition starts again where
   * `pipeline` says (`PartitionPipeline.restartAt`), from stream time `streamTime`.
   */
  seekBack(pipeline: PartitionPipeline, after: 'submitted' | 'committed', partition: number, streamTime: number): void {
    pipeline.generation += 1;
    this.#options.core.rewindStreamTime(partition, streamTime);
    for (const [topic, offset] of pipeline.restartAt(after)) {
      try {
        this.#options.consumer.seek({ topic, partition, offset });
      } catch (err) {
        this.#options.logger.debug({ err, partition }, 'seek back refused (the partition is going away)');
      }
    }
  }

  /**
   * A commit failed: at its chain's first failure, the partition goes back to after its last committed batch once
   * the batches before (`earlier`) settled — a call refused when made fails before them, and they may commit.
   */
  #failed(pipeline: PartitionPipeline, chain: CommitChain, err: unknown, partition: number, earlier: Promise<unknown>): void {
    if (!pipeline.broke(chain)) return; // a later batch of a chain that failed before: its seek back is done
    const { logger, metrics, group } = this.#options;
    metrics?.commitFailures.inc({ group });
    if (isHeraldError(err, 'HERALD_NOT_ASSIGNED') || isHeraldError(err, 'HERALD_FENCED')) {
      // Owned elsewhere now: none of its records until assigned here again, or a later batch would commit past it.
      logger.warn({ err, partition }, 'commit refused: the partition moved; dropping it');
      this.#options.drop(partition);
      return;
    }
    logger.warn({ err, partition }, 'commit failed; processing the batch again');
    // In the partition's serial order: nothing of it is processed until the seek, and what was handed over
    // meanwhile is skipped (a new generation at the seek).
    void pipeline.serial(async () => {
      await earlier;
      this.seekBack(pipeline, 'committed', partition, pipeline.streamTime ?? Number.NEGATIVE_INFINITY);
      await new Promise((resolve) => setTimeout(resolve, COMMIT_RETRY_MS));
    });
  }

  #applied(result: BatchResult, checkpoint: number | undefined): void {
    const { partition } = result;
    try {
      this.#options.table.apply(partition, result.changes.values(), checkpoint);
    } catch (err) {
      // The commit stands; the local copy is behind it. Restore before the next record (it replays the changelog).
      this.#options.logger.error({ err, partition }, 'local store write failed after commit; restoring the partition');
      this.#options.restoreLater(partition);
    }
    countCommitted(this.#options.metrics, this.#options.group, result);
  }
}
