import { statfs } from 'node:fs/promises';
import type { Broker, Producer } from '../broker/port.ts';
import { isHeraldError } from '../errors.ts';
import type { ReadinessCheck } from '../http/health.ts';
import { overriding } from '../kit/overriding.ts';
import type { TopicDeclaration } from '../topology/declaration.ts';

/** Below this much free space in the data directory's file system, the embedded broker's writes would fail. */
export const MIN_FREE_BYTES = 32 * 1024 * 1024;

/** How long a failed write keeps the process not ready when nothing has been written since. */
export const WRITE_FAILURE_MEMORY_MS = 30_000;

/**
 * `/readyz` check: every topic the services declared they create exists — a service whose topic was deleted under it
 * cannot do its work, though the broker answers.
 */
export function declaredTopicsCheck(broker: Broker, declarations: readonly TopicDeclaration[]): ReadinessCheck {
  return async () => {
    const wanted = new Set(declarations.filter((d) => d.spec !== undefined || d.like !== undefined).map((d) => d.name));
    if (wanted.size === 0) return;
    const present = new Set((await broker.admin.listTopics()).map((t) => t.name));
    const missing = [...wanted].filter((name) => !present.has(name)).sort();
    if (missing.length > 0) {
      throw new Error(`declared topics missing: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
    }
  };
}

/** `/readyz` check: the file system holding `dataDir` has room for the embedded broker's writes. */
export function freeSpaceCheck(
  dataDir: string,
  freeBytes: (dir: string) => Promise<number> = async (dir) => {
    const stats = await statfs(dir);
    return stats.bavail * stats.bsize;
  },
): ReadinessCheck {
  return async () => {
    const free = await freeBytes(dataDir);
    if (free < MIN_FREE_BYTES) {
      throw new Error(`${Math.floor(free / 1024 / 1024)} MiB free in ${dataDir}: writes would fail`);
    }
  };
}

/**
 * The broker with its producers watched, and a `/readyz` check that fails while the latest write failed for a
 * reason of the broker's (storage full or failing, broker unreachable) — not for a bad record — until a write
 * succeeds or {@link WRITE_FAILURE_MEMORY_MS} pass without one (so traffic sent back can show it works again).
 */
export function watchWrites<B extends Broker>(broker: B, now: () => number = Date.now): { broker: B; check: ReadinessCheck } {
  let failure: { at: number; message: string } | undefined;
  const watched = (producer: Producer): Producer =>
    overriding(
      producer,
      new Map([
        [
          'send',
          async (...args: Parameters<Producer['send']>) => {
            try {
              const positions = await producer.send(...args);
              failure = undefined;
              return positions;
            } catch (err) {
              if (isHeraldError(err) && err.retriable) failure = { at: now(), message: `${err.code}: ${err.message}` };
              throw err;
            }
          },
        ],
      ]),
    );
  return {
    broker: overriding(broker, new Map([['producer', () => watched(broker.producer())]])),
    check: async () => {
      if (failure !== undefined && now() - failure.at < WRITE_FAILURE_MEMORY_MS) {
        throw new Error(`the latest write failed: ${failure.message}`);
      }
    },
  };
}
