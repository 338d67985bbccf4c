import { HeraldError } from '../../errors.ts';
import { checkDuration, splitClosed, type Window, type WindowClock, type WindowUpdate } from './window.ts';

/** Tumbling (`advanceMs` = `sizeMs`) or hopping windows aligned to the epoch, with a grace period. */
export interface FixedWindows {
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;
}

/** Back-to-back windows of `sizeMs`: `[k·size, (k+1)·size)`. Events up to `graceMs` late are still merged. */
export function tumbling(options: { sizeMs: number; graceMs?: number }): FixedWindows {
  const sizeMs = checkDuration('sizeMs', options.sizeMs, 1);
  return { sizeMs, advanceMs: sizeMs, graceMs: checkDuration('graceMs', options.graceMs ?? 0, 0) };
}

/** Overlapping windows of `sizeMs` starting every `advanceMs`: an event belongs to `size / advance` of them. */
export function hopping(options: { sizeMs: number; advanceMs: number; graceMs?: number }): FixedWindows {
  const sizeMs = checkDuration('sizeMs', options.sizeMs, 1);
  const advanceMs = checkDuration('advanceMs', options.advanceMs, 1);
  if (advanceMs > sizeMs)
    throw new HeraldError('HERALD_INVALID_ARGUMENT', `advanceMs (${advanceMs}) must not exceed sizeMs (${sizeMs})`);
  return { sizeMs, advanceMs, graceMs: checkDuration('graceMs', options.graceMs ?? 0, 0) };
}

/** The windows containing `time`, oldest first. */
export function windowsOf(spec: FixedWindows, time: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const last = Math.floor(time / spec.advanceMs) * spec.advanceMs;
  for (let start = last; start > time - spec.sizeMs; start -= spec.advanceMs) {
    out.unshift({ start, end: start + spec.sizeMs });
  }
  return out;
}

/**
 * Adds the context's event to its windows: `add(acc)` folds it into each window's value (`init()` for a new
 * window). Windows whose `end + grace` is at or before the stream time are closed: an event that belongs only to
 * closed windows is late — dropped and reported; closed windows leave `windows` and are returned as final.
 */
export function addToWindows<A>(
  ctx: WindowClock,
  spec: FixedWindows,
  windows: readonly Window<A>[] | undefined,
  init: () => A,
  add: (acc: A) => A,
): WindowUpdate<A> {
  const [open, closed] = splitClosed(windows ?? [], ctx.streamTime, spec.graceMs);
  const updated: Window<A>[] = [];
  let late = true;
  for (const { start, end } of windowsOf(spec, ctx.timestamp)) {
    if (end + spec.graceMs <= ctx.streamTime) continue;
    late = false;
    let w = open.find((x) => x.start === start);
    if (w === undefined) {
      w = { start, end, value: init() };
      open.push(w);
    }
    w.value = add(w.value);
    updated.push(w);
  }
  if (late) ctx.reportLate();
  open.sort((a, b) => a.start - b.start);
  return { windows: open, updated, closed, late };
}

/** Closes what the stream time has passed, without adding an event (e.g. from a record of another kind). */
export function closeWindows<A>(ctx: WindowClock, graceMs: number, windows: readonly Window<A>[] | undefined) {
  const [open, closed] = splitClosed(windows ?? [], ctx.streamTime, graceMs);
  return { windows: open, closed };
}
