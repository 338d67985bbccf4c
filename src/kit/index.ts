/**
 * `herald/kit`: small tools Herald and its services share, one tested implementation each — timeouts, per-turn
 * batching, per-signal abort listeners, a worker-thread link, an LRU cache and a cheaper two-generation memory, a semaphore, composition, decorating
 * proxies and what HTTP headers can carry.
 */
export { AbortListeners } from './abort-listeners.ts';
export { compose, type Wrapper } from './compose.ts';
export { Generations } from './generations.ts';
export { HEADER_NAME, HEADER_VALUE_PATTERN, isHeaderValue } from './http-headers.ts';
export { LruCache } from './lru.ts';
export { overriding } from './overriding.ts';
export { perTurn, turnNow } from './per-turn.ts';
export { Semaphore } from './semaphore.ts';
export { type CloseMessage, type ClosedMessage, scriptBeside, ThreadLink, type ThreadLinkOptions } from './thread-link.ts';
export { withTimeout } from './timeout.ts';
export { TurnBatcher } from './turn-batcher.ts';
export { uuidv7 } from './uuid.ts';
