import { checkDuration, splitClosed, type Window, type WindowClock, type WindowUpdate } from './window.ts';

/**
 * Anchored windows: a window of fixed length opens at the first event after the previous window ended — `[t, t +
 * size)` for that event's time `t` — rather than at epoch-aligned boundaries (the wallet's "deposits within two
 * minutes of the first one" rule).
 */
export interface AnchoredWindows {
  readonly sizeMs: number;
  readonly graceMs: number;
}

export function anchored(options: { sizeMs: number; graceMs?: number }): AnchoredWindows {
  const sizeMs = checkDuration('sizeMs', options.sizeMs, 1);
  return { sizeMs, graceMs: checkDuration('graceMs', options.graceMs ?? 0, 0) };
}

/**
 * Adds the event: into the kept window containing it; else, at or after the newest window's end (or with no window
 * kept), into a new window anchored at the event. An event in no kept window and before the newest window's end
 * (out of order, in a gap, or in a window already closed) is late: windows are anchored in the order events
 * arrive, and re-anchoring the past would change windows already reported.
 */
export function addToAnchored<A>(
  ctx: WindowClock,
  spec: AnchoredWindows,
  windows: readonly Window<A>[] | undefined,
  init: () => A,
  add: (acc: A) => A,
): WindowUpdate<A> {
  const all = (windows ?? []).toSorted((a, b) => a.start - b.start);
  const newestEnd = all.length === 0 ? Number.NEGATIVE_INFINITY : all[all.length - 1].end;
  const [open, closed] = splitClosed(all, ctx.streamTime, spec.graceMs);
  const t = ctx.timestamp;
  let w = open.find((x) => x.start <= t && t < x.end);
  if (w === undefined && t >= newestEnd) {
    w = { start: t, end: t + spec.sizeMs, value: init() };
    if (w.end + spec.graceMs <= ctx.streamTime) w = undefined;
    else open.push(w);
  }
  if (w === undefined) {
    ctx.reportLate();
    return { windows: open, updated: [], closed, late: true };
  }
  w.value = add(w.value);
  return { windows: open, updated: [w], closed, late: false };
}
