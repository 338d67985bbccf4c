import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HeraldError } from '../../errors.ts';

/** A file system error in words, saying so plainly when the disk is full. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `the disk is full (${code})`;
  return (err as Error | null)?.message ?? String(err);
}

/** The lock file that names the process owning a data directory. */
export const LOCK_FILE = 'herald.lock';

interface LockContent {
  pid: number;
  host: string;
  /** Distinguishes two owners that happen to get the same pid (container restarts). */
  token: string;
  /** Linux process start time (clock ticks since boot), to tell a live owner from a recycled pid. */
  procStart: string | null;
}

/** What the lock file says, or that it cannot be parsed (being written right now, or torn by a crash). */
type LockState = { kind: 'owner'; owner: LockContent; text: string } | { kind: 'unreadable'; mtimeMs: number };

/** The process named by a lock file. */
export interface LockOwner {
  pid: number;
  host: string;
}

/** Data directories locked by brokers of this process: a second broker here must fail like a second process. */
const heldByThisProcess = new Set<string>();

/** A lock file younger than this that cannot be parsed is assumed to be being written by a live owner. */
const UNREADABLE_GRACE_MS = 5_000;

/** An acquired lock. */
export interface DataDirLock {
  readonly file: string;
  /**
   * The owner of a lock written on another host that was taken over. Liveness cannot be checked across hosts (and
   * a restarted container gets a new host name), so SQLite's own lock on the database decides; if it says the
   * directory is in use, `release(true)` puts this owner's lock back.
   */
  readonly displaced: LockOwner | null;
  /** Removes the lock file if it is still ours; with `restore`, puts back the lock that was taken over instead. */
  release(restore?: boolean): void;
}

function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces, so count from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file's state, or null when there is none. */
function readLock(file: string): LockState | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new HeraldError('HERALD_STORAGE_FAILED', `cannot read lock file ${file}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockContent>;
    if (typeof parsed.pid === 'number' && Number.isSafeInteger(parsed.pid)) {
      const owner: LockContent = {
        pid: parsed.pid,
        host: String(parsed.host ?? ''),
        token: String(parsed.token ?? ''),
        procStart: typeof parsed.procStart === 'string' ? parsed.procStart : null,
      };
      return { kind: 'owner', owner, text };
    }
  } catch {
    // Not JSON (torn or foreign content): judged by its age below.
  }
  let mtimeMs = 0;
  try {
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch {
    // Gone meanwhile: an age of 0 makes it look stale, which is what a missing lock is.
  }
  return { kind: 'unreadable', mtimeMs };
}

/** Whether a same-host owner may still be running. */
function isLive(owner: LockContent, key: string): boolean {
  if (owner.pid === process.pid) return heldByThisProcess.has(key);
  if (owner.pid <= 0 || !isAlive(owner.pid)) return false;
  if (owner.procStart !== null) {
    const now = processStartTime(owner.pid);
    if (now !== null && now !== owner.procStart) return false;
  }
  return true;
}

/** The error a contender gets: it names the owning pid so an operator can find it. */
export function lockedError(dataDir: string, owner: LockOwner | null): HeraldError {
  const who =
    owner && owner.pid > 0
      ? `process ${owner.pid}${owner.host && owner.host !== os.hostname() ? ` on ${owner.host}` : ''}`
      : 'another process';
  return new HeraldError('HERALD_DATA_DIR_LOCKED', `data directory ${dataDir} is locked by ${who}`, {
    details: { dataDir, pid: owner?.pid ?? null, host: owner?.host ?? null, lockFile: path.join(dataDir, LOCK_FILE) },
  });
}

/**
 * Takes the lock of `dataDir` (which must exist) by creating the lock file exclusively. A lock whose owner is dead
 * (same host: pid gone, or recycled by another process, or this process's own pid from an earlier life) is taken
 * over. Throws `HERALD_DATA_DIR_LOCKED` naming the owner pid when a live process holds it.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  const key = fs.realpathSync(dataDir);
  const mine: LockContent = {
    pid: process.pid,
    host: os.hostname(),
    token: randomUUID(),
    procStart: processStartTime(process.pid),
  };
  let displaced: { owner: LockOwner; text: string } | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new HeraldError('HERALD_STORAGE_FAILED', `cannot create lock file ${file}: ${describeFsError(err)}`, {
          cause: err,
        });
      }
      const state = readLock(file);
      if (state === null) continue; // released between our open and read
      if (state.kind === 'unreadable') {
        if (Date.now() - state.mtimeMs < UNREADABLE_GRACE_MS) throw lockedError(dataDir, null);
      } else if (state.owner.host !== mine.host) {
        displaced = { owner: { pid: state.owner.pid, host: state.owner.host }, text: state.text };
      } else if (isLive(state.owner, key)) {
        throw lockedError(dataDir, state.owner);
      }
      fs.rmSync(file, { force: true });
      continue;
    }
    try {
      fs.writeSync(fd, JSON.stringify(mine));
      fs.fsyncSync(fd);
    } catch (err) {
      // An empty lock file left behind (a full disk) would look like a live owner to the next start.
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw new HeraldError('HERALD_STORAGE_FAILED', `cannot write lock file ${file}: ${describeFsError(err)}`, {
        cause: err,
      });
    }
    fs.closeSync(fd);
    heldByThisProcess.add(key);
    let released = false;
    return {
      file,
      displaced: displaced?.owner ?? null,
      release(restore = false) {
        if (released) return;
        released = true;
        heldByThisProcess.delete(key);
        // Only touch the file if it is still ours: a contender may have judged us dead and taken over.
        const state = readLock(file);
        if (state?.kind !== 'owner' || state.owner.token !== mine.token) return;
        if (restore && displaced !== null) fs.writeFileSync(file, displaced.text);
        else fs.rmSync(file, { force: true });
      },
    };
  }
  const state = readLock(file);
  throw lockedError(dataDir, state?.kind === 'owner' ? state.owner : null);
}
