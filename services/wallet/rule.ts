/**
 * The threshold rule: a wallet is above the threshold once it has ever received deposits totalling more than the
 * threshold within one window. A window opens at the first deposit (event time) after the previous window ended and
 * lasts `sizeMs`; it does not slide. The state kept per wallet is its open windows — at most two (one still within
 * its grace period and the newest) — and the flag; once flagged, no window is kept at all.
 */
import { addToAnchored, type AnchoredWindows, create, type ThresholdState, ThresholdStateSchema, type Window, type WindowClock } from './herald.ts';

export interface ThresholdRule {
  windows: AnchoredWindows;
  /** In minor units: a window's total must exceed it. */
  thresholdMinor: bigint;
}

/** What one deposit did: the state to store, whether it made the wallet cross the threshold, whether it was late. */
export interface RuleOutcome {
  state: ThresholdState;
  crossed: boolean;
  late: boolean;
}

/**
 * Applies a deposit of `amount` minor units at `clock.timestamp`. A deposit more than the grace behind the
 * partition's stream time is late: it counts in the balance, never in a window (its window may be closed and
 * already decided). Within the grace, it goes into the kept window containing it.
 */
export function applyDeposit(
  rule: ThresholdRule,
  clock: WindowClock,
  previous: ThresholdState | undefined,
  amount: bigint,
): RuleOutcome {
  if (previous?.aboveThreshold) return { state: create(ThresholdStateSchema, { aboveThreshold: true }), crossed: false, late: false };
  const kept: Window<bigint>[] = (previous?.windows ?? []).map((w) => ({
    start: Number(w.startMs),
    end: Number(w.endMs),
    value: w.total,
  }));
  if (clock.timestamp + rule.windows.graceMs < clock.streamTime) {
    // Closed windows are not kept, so the anchoring helper could not tell this deposit from a new window's first.
    clock.reportLate();
    return { state: toState(kept.filter((w) => w.end + rule.windows.graceMs > clock.streamTime), false), crossed: false, late: true };
  }
  const update = addToAnchored(clock, rule.windows, kept, () => 0n, (total) => total + amount);
  const crossed = update.updated.some((w) => w.value > rule.thresholdMinor);
  return { state: toState(crossed ? [] : update.windows, crossed), crossed, late: update.late };
}

function toState(windows: Window<bigint>[], aboveThreshold: boolean): ThresholdState {
  return create(ThresholdStateSchema, {
    aboveThreshold,
    windows: windows.map((w) => ({ startMs: BigInt(w.start), endMs: BigInt(w.end), total: w.value })),
  });
}
