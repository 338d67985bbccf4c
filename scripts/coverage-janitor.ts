/**
 * Removes V8 coverage files cut off by a kill, while `npm test` runs. Node writes a process's coverage when it
 * exits; a test that SIGKILLs a child just as that child exits on its own (a crash test's cleanup, a stop whose grace
 * ran out) leaves the file empty or half-written, and one unreadable file fails the coverage report of the whole run
 * ("coverage file is empty") although every test passed. `test/support/herald-process.ts` avoids it for the children
 * it starts; this catches every other spawn site. The coverage such a file would have held is lost either way.
 */
import { closeSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isAlive } from './kafka/process.ts';

/** Whether `file` ends a JSON document: its last non-blank byte is `}` (a cut write almost never ends there). */
function whole(file: string, size: number): boolean {
  const tail = Buffer.alloc(Math.min(size, 64));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, tail, 0, tail.length, size - tail.length);
  } finally {
    closeSync(fd);
  }
  return tail.toString('latin1').trimEnd().endsWith('}');
}

/**
 * Removes from `dir` the coverage files (`coverage-<pid>-….json`) whose writer is gone and that are empty or do not
 * end a JSON document (a zombie's writing is over: it counts as gone). Returns the names removed. `alive` is for
 * tests.
 */
export function sweepCutCoverage(dir: string, alive: (pid: number) => boolean = isAlive): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed; // the runner removed its directory
  }
  for (const name of names) {
    const pid = Number(/^coverage-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || alive(pid)) continue;
    const file = path.join(dir, name);
    try {
      const { size } = statSync(file);
      if (size > 0 && whole(file, size)) continue;
      rmSync(file, { force: true });
      removed.push(name);
    } catch {
      // Gone meanwhile: nothing to do.
    }
  }
  return removed;
}

/**
 * Sweeps, every `everyMs`, the coverage directories the test runner made in the temp dir since `since` (ms since the
 * epoch). Returns a function that stops it after a last sweep; `onRemoved` hears each removal.
 */
export function startCoverageJanitor(since: number, onRemoved: (file: string) => void, everyMs = 100): () => void {
  const sweep = () => {
    let dirs: string[];
    try {
      dirs = readdirSync(tmpdir()).filter((name) => name.startsWith('node-coverage-'));
    } catch {
      return;
    }
    for (const name of dirs) {
      const dir = path.join(tmpdir(), name);
      try {
        if (statSync(dir).mtimeMs < since) continue;
      } catch {
        continue;
      }
      for (const file of sweepCutCoverage(dir)) onRemoved(path.join(dir, file));
    }
  };
  const timer = setInterval(sweep, everyMs);
  return () => {
    clearInterval(timer);
    sweep();
  };
}
