import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { endChild } from './herald-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** A child process that reports progress as JSON lines on stdout: the events so far, and its stderr for messages. */
export interface JsonLinesChild<E> {
  process: ChildProcess;
  events: E[];
  stderr: () => string;
}

/**
 * Runs `script` (relative to the project root) with JSON-encoded `args` on this Node, collecting every stdout line
 * as a parsed event. `defer` registers what ends the child when the test ends (see `endChild`).
 */
export function spawnJsonLinesChild<E>(
  script: string,
  args: unknown[],
  defer: (fn: () => Promise<void>) => void,
): JsonLinesChild<E> {
  const child = spawn(process.execPath, [resolve(ROOT, script), ...args.map((a) => JSON.stringify(a))], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  defer(() => endChild(child));
  const events: E[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => events.push(JSON.parse(line) as E));
  return { process: child, events, stderr: () => stderr };
}

/**
 * A condition over a child's events for a polling wait: fails at once if the child reported `{"event":"error"}` or
 * exited, else tells whether `condition` holds.
 */
export function childReached<E extends { event: string; message?: string }>(
  child: JsonLinesChild<E>,
  condition: (events: E[]) => boolean,
): () => boolean {
  return () => {
    const error = child.events.find((e) => e.event === 'error');
    if (error !== undefined) throw new Error(`child failed: ${error.message}\n${child.stderr()}`);
    if (child.process.exitCode !== null) throw new Error(`child exited (${child.process.exitCode}): ${child.stderr()}`);
    return condition(child.events);
  };
}
