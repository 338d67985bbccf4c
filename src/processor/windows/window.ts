import { HeraldError } from '../../errors.ts';

/** A window of event time `[start, end)` and what was aggregated into it. */
export interface Window<A> {
  start: number;
  end: number;
  value: A;
}

/** What the window helpers need of a callback's context (a processor's `Context` is one). */
export interface WindowClock {
  /** The record's event time. */
  readonly timestamp: number;
  /** The partition's stream time (greatest event time seen). */
  readonly streamTime: number;
  reportLate(): void;
}

/**
 * What adding one event did. Keep `windows` in the table value (it is the open windows only, so a key's state stays
 * bounded) and act on `closed`: final results, whose `end + grace` stream time has passed — they never change again.
 */
export interface WindowUpdate<A> {
  /** The windows still open, to store. */
  windows: Window<A>[];
  /** Windows the event went into (their new values). */
  updated: Window<A>[];
  /** Windows closed by now: final results, removed from `windows`. */
  closed: Window<A>[];
  /**
   * The event belongs only to windows already closed (event time before `end + grace` of none): it was dropped,
   * not merged, and reported with `reportLate()` (counted by the processor, shown by the tester).
   */
  late: boolean;
}

export function checkDuration(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw new HeraldError('HERALD_INVALID_ARGUMENT', `${name} must be an integer >= ${min}, not ${value}`);
  return value;
}

/**
 * Splits `windows` into those still open at `streamTime` and those closed (end + grace passed). Returns copies: the
 * helpers never modify what they were given (it may be the table value a failing attempt must leave unchanged).
 */
export function splitClosed<A>(
  windows: readonly Window<A>[],
  streamTime: number,
  graceMs: number,
): [Window<A>[], Window<A>[]] {
  const open: Window<A>[] = [];
  const closed: Window<A>[] = [];
  for (const w of windows) (w.end + graceMs <= streamTime ? closed : open).push({ ...w });
  return [open, closed];
}
