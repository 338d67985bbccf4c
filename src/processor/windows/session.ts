import { checkDuration, splitClosed, type Window, type WindowClock, type WindowUpdate } from './window.ts';

/** Session windows: events closer than `gapMs` to each other (in event time) form one window. */
export interface SessionWindows {
  readonly gapMs: number;
  readonly graceMs: number;
}

export function sessions(options: { gapMs: number; graceMs?: number }): SessionWindows {
  const gapMs = checkDuration('gapMs', options.gapMs, 1);
  return { gapMs, graceMs: checkDuration('graceMs', options.graceMs ?? 0, 0) };
}

/**
 * Adds the event at `ctx.timestamp`: it starts a session `[t, t]`, which absorbs every open session less than
 * `gapMs` away (values combined with `merge`, oldest first), so an out-of-order event can bridge two sessions. A
 * session closes when the stream time reaches `end + gap + grace` (no event can join it any more); an event that
 * would only touch closed sessions, or come after its own session would have closed, is late.
 */
export function addToSession<A>(
  ctx: WindowClock,
  spec: SessionWindows,
  windows: readonly Window<A>[] | undefined,
  init: () => A,
  add: (acc: A) => A,
  merge: (older: A, newer: A) => A,
): WindowUpdate<A> {
  const closeAfter = spec.gapMs + spec.graceMs;
  const [open, closed] = splitClosed(windows ?? [], ctx.streamTime, closeAfter);
  const t = ctx.timestamp;
  if (t + closeAfter <= ctx.streamTime) {
    ctx.reportLate();
    return { windows: open, updated: [], closed, late: true };
  }
  const touching = open.filter((w) => t >= w.start - spec.gapMs && t <= w.end + spec.gapMs);
  const rest = open.filter((w) => !touching.includes(w));
  touching.sort((a, b) => a.start - b.start);
  let session: Window<A> = { start: t, end: t, value: init() };
  if (touching.length > 0) {
    session = { ...touching[0] };
    for (const w of touching.slice(1)) {
      session = { start: session.start, end: Math.max(session.end, w.end), value: merge(session.value, w.value) };
    }
    session.start = Math.min(session.start, t);
    session.end = Math.max(session.end, t);
  }
  session.value = add(session.value);
  const next = [...rest, session].sort((a, b) => a.start - b.start);
  return { windows: next, updated: [session], closed, late: false };
}
