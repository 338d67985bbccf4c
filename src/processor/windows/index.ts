export { type AnchoredWindows, addToAnchored, anchored } from './anchored.ts';
export { addToWindows, closeWindows, type FixedWindows, hopping, tumbling, windowsOf } from './fixed.ts';
export { addToSession, type SessionWindows, sessions } from './session.ts';
export type { Window, WindowClock, WindowUpdate } from './window.ts';
