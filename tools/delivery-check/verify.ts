import type { AcceptedEvent } from './load.ts';
import type { Receipt } from './recorder.ts';

/** What one destination got, judged against what Herald acknowledged. */
export interface DestinationSummary {
  /** Acknowledged events the destination accepted at least once. */
  delivered: number;
  /** Acknowledged events Herald reports `dead` there (dead-lettered) and the destination never accepted. */
  deadLettered: number;
  /** Accepted requests beyond the first for one event id (at-least-once redeliveries). */
  duplicates: number;
  /**
   * Events of a user that reached the destination for the first time after an event that user sent later
   * (by `seq`). Must be 0.
   */
  orderViolations: number;
  /** Acknowledged events neither delivered nor dead-lettered. Must be 0. */
  lost: number;
  /** Events the destination accepted that Herald never acknowledged (written before a crash lost the answer). */
  unacknowledged: number;
  /** Some of the lost ids, for diagnosis. */
  lostSample: string[];
}

export interface Summary {
  accepted: number;
  destinations: Record<string, DestinationSummary>;
  /** True when no destination lost an event or saw one out of order. */
  ok: boolean;
}

/**
 * Judges one destination: `receipts` in arrival order, `isDead(id)` from Herald's status API.
 * Order is judged on first receipts only: a redelivered duplicate (same id) is counted as such, not as a
 * reordering, since the destination's `Idempotency-Key` makes it a no-op there.
 */
export function summarise(
  accepted: AcceptedEvent[],
  receipts: Receipt[],
  isDead: (id: string) => boolean,
): DestinationSummary {
  const acknowledged = new Set(accepted.map((e) => e.id));
  const seen = new Set<string>();
  const highestSeq = new Map<string, number>();
  let duplicates = 0;
  let orderViolations = 0;
  let unacknowledged = 0;
  for (const r of receipts) {
    if (seen.has(r.id)) {
      duplicates += 1;
      continue;
    }
    seen.add(r.id);
    if (!acknowledged.has(r.id)) unacknowledged += 1;
    if (r.seq === undefined) continue;
    const highest = highestSeq.get(r.userId);
    // Equal seqs are the same event sent twice by the generator (a retried request): not a reordering.
    if (highest !== undefined && r.seq < highest) orderViolations += 1;
    else highestSeq.set(r.userId, r.seq);
  }
  let delivered = 0;
  let deadLettered = 0;
  const lost: string[] = [];
  for (const e of accepted) {
    if (seen.has(e.id)) delivered += 1;
    else if (isDead(e.id)) deadLettered += 1;
    else lost.push(e.id);
  }
  return {
    delivered,
    deadLettered,
    duplicates,
    orderViolations,
    lost: lost.length,
    unacknowledged,
    lostSample: lost.slice(0, 5),
  };
}

/** The ids not yet settled at a destination: acknowledged, not received, not known dead. */
export function unsettled(accepted: AcceptedEvent[], receipts: Receipt[], isDead: (id: string) => boolean): string[] {
  const seen = new Set(receipts.map((r) => r.id));
  return accepted.filter((e) => !seen.has(e.id) && !isDead(e.id)).map((e) => e.id);
}

/** The summary as aligned text lines. */
export function formatSummary(summary: Summary): string {
  const lines = [`accepted: ${summary.accepted}`];
  for (const [name, d] of Object.entries(summary.destinations)) {
    lines.push(
      `${name}: delivered ${d.delivered}, dead-lettered ${d.deadLettered}, duplicates ${d.duplicates}, ` +
        `order violations ${d.orderViolations}, lost ${d.lost}, unacknowledged-but-delivered ${d.unacknowledged}` +
        (d.lostSample.length > 0 ? ` (lost e.g. ${d.lostSample.join(', ')})` : ''),
    );
  }
  lines.push(summary.ok ? 'OK: nothing lost, nothing out of order' : 'FAILED: events lost or out of order');
  return lines.join('\n');
}
