import { closeSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaSetupError } from './errors.ts';
import { isAlive, readPidFile } from './process.ts';

/**
 * Runs `fn` holding an exclusive lock file, so two scripts (or two test files) starting or stopping the same
 * deployment at once take turns instead of racing for ports and data dirs. A lock left by a dead process is
 * taken over. Not re-entrant: do not nest two `withLock` calls on the same file.
 * @throws KafkaSetupError `KAFKA_LOCK_TIMEOUT` when a live holder keeps it past `timeoutMs`.
 */
export async function withLock<T>(lockFile: string, fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryAcquire(lockFile)) break;
    const holder = readPidFile(lockFile);
    if (holder === undefined ? olderThan(lockFile, 5_000) : !isAlive(holder)) {
      removeQuietly(lockFile);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new KafkaSetupError('KAFKA_LOCK_TIMEOUT', `${lockFile} is still held by pid ${holder ?? '?'}`);
    }
    await sleep(200);
  }
  try {
    return await fn();
  } finally {
    removeQuietly(lockFile);
  }
}

function tryAcquire(lockFile: string): boolean {
  try {
    const fd = openSync(lockFile, 'wx');
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** A lock file without a pid is one being written right now, unless it has been like that for a while. */
function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return true;
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
