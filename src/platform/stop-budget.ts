/**
 * How a shutdown's time is shared between the parts that stop. One deadline for everything let the first part to
 * stop — the HTTP server, held open by one slow client — use all of it, and every later part (consumers that must
 * drain and commit, the threads, the broker) was abandoned. Each stage now has a share of its own: a part that
 * finishes early hands what it did not use to the parts after it, and a part that hangs uses only its share.
 */

/** What a component is, for the shutdown budget. Stopping runs in reverse start order whatever the stage. */
export type StopStage = 'http' | 'services' | 'consumers' | 'threads' | 'broker' | 'log';

/**
 * Fraction of `shutdown.timeoutMs` each stage is guaranteed, split evenly between its components. Consumers get the
 * largest share: draining in-flight records and committing is what keeps a restart from redoing work.
 */
export const STOP_SHARES: Readonly<Record<StopStage, number>> = {
  http: 0.2,
  services: 0.1,
  consumers: 0.35,
  threads: 0.15,
  broker: 0.15,
  log: 0.05,
};

/**
 * The deadline of each stage in stop order, as offsets (ms) from the start of the shutdown: each component's
 * reserve is its stage's share of `timeoutMs` (normalised over the stages present) split between the stage's
 * components; a component may use everything up to the sum of the reserves before and including its own, so time
 * an earlier one did not use passes on, while the reserves of those after it stay untouched.
 */
export function stopDeadlines(stages: readonly StopStage[], timeoutMs: number): number[] {
  if (!Number.isFinite(timeoutMs)) return stages.map(() => Number.POSITIVE_INFINITY);
  const counts = new Map<StopStage, number>();
  for (const stage of stages) counts.set(stage, (counts.get(stage) ?? 0) + 1);
  const total = [...counts.keys()].reduce((sum, stage) => sum + STOP_SHARES[stage], 0);
  let at = 0;
  return stages.map((stage) => {
    at += (timeoutMs * STOP_SHARES[stage]) / total / counts.get(stage)!;
    return at;
  });
}
