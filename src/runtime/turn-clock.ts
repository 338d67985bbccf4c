/**
 * Wall-clock time (epoch ms) read at most once per turn of the event loop: every call until the turn's check
 * phase gets the first call's reading. For times recorded per record on the runtime's fast path (when an attempt
 * began), where a clock read would cost a noticeable share of a light handler; a reading is late by at most the
 * synchronous work done in the turn before it.
 */
let reading: number | undefined;

function forget(): void {
  reading = undefined;
}

export function turnNow(): number {
  if (reading === undefined) {
    reading = Date.now();
    setImmediate(forget).unref();
  }
  return reading;
}
