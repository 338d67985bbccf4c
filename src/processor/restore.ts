import type { Logger } from 'pino';
import type { BrokerRecord } from '../broker/port.ts';
import type { KeyValueStore, StoreChange } from '../state/store.ts';
import type { LogTail } from './log-tail.ts';
import type { ProcessorMetrics } from './metrics.ts';

/** Where a partition's restore stands (metrics and the admin API show it). */
export interface RestoreState {
  topic: string;
  partition: number;
  /** `warm`: from a valid local checkpoint; `cold`: no local data; `rebuild`: local data distrusted and dropped. */
  mode: 'warm' | 'cold' | 'rebuild';
  /** Why a rebuild was needed. */
  reason?: string;
  from: number;
  end: number;
  position: number;
  records: number;
  startedAt: number;
  finishedAt?: number;
}

export interface RestoreOptions {
  store: KeyValueStore;
  tail: LogTail;
  /** The changelog topic. */
  topic: string;
  partition: number;
  /** Records per read and per store transaction. Default 10,000. */
  batchSize?: number;
  onProgress?: (state: RestoreState) => void;
  /** After each applied batch, with its records. */
  onRecords?: (records: readonly BrokerRecord[]) => void;
  /** Stops early (the partition was revoked); the checkpoint keeps what was applied. */
  signal?: AbortSignal;
  now?: () => number;
}

/** How long to wait for a read_committed end that is briefly behind a checkpoint (markers written after commit). */
const AHEAD_RETRIES = 3;
const AHEAD_WAIT_MS = 200;

/**
 * Brings a partition of the local store to the changelog's read_committed end: from its checkpoint `c` when that
 * is a position the changelog can continue (earliest <= c <= end); from scratch — the partition dropped first —
 * when there is no checkpoint, when `c` is past the end (the changelog was recreated or the store belongs to
 * another cluster) or before the earliest stored offset (records between were deleted, tombstones among them).
 * Records are applied in large transactions, each with its checkpoint, so an interrupted restore resumes.
 */
export async function restorePartition(options: RestoreOptions): Promise<RestoreState> {
  const { store, tail, topic, partition } = options;
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 10_000;
  const checkpoint = store.checkpoint(partition);
  let bounds = await tail.bounds(topic, partition);
  for (let i = 0; checkpoint !== undefined && checkpoint > bounds.end && i < AHEAD_RETRIES; i++) {
    await new Promise((resolve) => setTimeout(resolve, AHEAD_WAIT_MS));
    bounds = await tail.bounds(topic, partition);
  }
  const state: RestoreState = {
    topic,
    partition,
    mode: 'warm',
    from: checkpoint ?? bounds.earliest,
    end: bounds.end,
    position: checkpoint ?? bounds.earliest,
    records: 0,
    startedAt: now(),
  };
  const rebuild = (mode: 'cold' | 'rebuild', reason?: string) => {
    store.dropPartition(partition);
    state.mode = mode;
    if (reason !== undefined) state.reason = reason;
    state.from = state.position = bounds.earliest;
  };
  if (checkpoint === undefined) rebuild('cold');
  else if (checkpoint > bounds.end) rebuild('rebuild', `checkpoint ${checkpoint} is past the changelog end ${bounds.end}`);
  else if (checkpoint < bounds.earliest)
    rebuild('rebuild', `checkpoint ${checkpoint} is before the earliest stored offset ${bounds.earliest}`);
  options.onProgress?.(state);
  while (state.position < bounds.end && !options.signal?.aborted) {
    const records = await tail.read(topic, partition, state.position, batchSize);
    if (records.length === 0) break; // only markers or aborted records are left before the end
    const changes: StoreChange[] = records.map((r) => ({
      partition,
      key: r.key === null ? '' : r.key.toString('utf8'),
      value: r.value,
    }));
    state.position = records[records.length - 1].offset + 1;
    store.apply({ changes, checkpoints: new Map([[partition, state.position]]) });
    state.records += records.length;
    options.onRecords?.(records);
    options.onProgress?.(state);
  }
  if (!options.signal?.aborted && state.position < bounds.end) {
    state.position = bounds.end;
  }
  if (!options.signal?.aborted) {
    store.apply({ changes: [], checkpoints: new Map([[partition, state.position]]) });
    state.finishedAt = now();
    options.onProgress?.(state);
  }
  return state;
}

/**
 * {@link restorePartition} for a processor's owned partition, reported: progress to `onState` and the restore
 * metrics, a log line when done. Resolves true once restored, false if stopped early (revoked meanwhile).
 */
export async function restoreReported(
  options: Omit<RestoreOptions, 'onProgress' | 'onRecords'> & {
    group: string;
    metrics: ProcessorMetrics | undefined;
    logger: Logger;
    onState: (state: RestoreState) => void;
  },
): Promise<boolean> {
  const { group, metrics, logger, partition } = options;
  const labels = { group, partition: String(partition) };
  const state = await restorePartition({
    ...options,
    onProgress: (s) => {
      options.onState({ ...s });
      metrics?.restoreRemaining.set(labels, Math.max(0, s.end - s.position));
    },
    onRecords: (records) => metrics?.restoreRecords.inc(labels, records.length),
  });
  if (state.finishedAt === undefined) return false;
  const seconds = (state.finishedAt - state.startedAt) / 1_000;
  metrics?.restoreSeconds.set(labels, seconds);
  logger.info({ partition, mode: state.mode, reason: state.reason, records: state.records, seconds }, 'partition restored');
  return true;
}
