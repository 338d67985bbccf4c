import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';

/** The Node 24 binary running the tests; children run on it too. */
export const NODE = process.execPath;

/** How long a child that was asked to stop gets to finish before the end of its test kills it. */
const STOPPING_GRACE_MS = 10_000;

/**
 * Ends a child when its test ends: SIGKILL — unless the test already sent it a signal and it is still exiting, in
 * which case it gets {@link STOPPING_GRACE_MS} to finish first. A child killed while it exits can leave a half-written
 * coverage file, and one unreadable file fails the coverage report of the whole run.
 */
export async function endChild(child: ChildProcess): Promise<void> {
  const running = () => child.exitCode === null && child.signalCode === null;
  if (!running()) return;
  if (child.killed) {
    const timer = new AbortController();
    await Promise.race([once(child, 'exit'), sleep(STOPPING_GRACE_MS, undefined, { signal: timer.signal }).catch(() => {})]);
    timer.abort();
  }
  if (running()) child.kill('SIGKILL');
}

/** Output and exit of a finished child process. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node script args…` to completion. */
export async function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const child = spawn(NODE, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return finished(child);
}

export async function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
}

/**
 * Starts a long-running `herald start` child (port 0) and resolves once it serves, with its base URL. The child is
 * killed when the test ends.
 */
export async function startHerald(t: TestContext, script: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(NODE, [script, 'start', '--port', '0', '--log-level', 'warn', ...args], {
    // No Kafka listener unless a test asks: 127.0.0.1:9092 belongs to the test Kafka.
    env: { ...process.env, HERALD_BROKER__KAFKA_LISTENER__LISTEN: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => endChild(child));
  const exit = finished(child);
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr.on('data', (chunk: Buffer) => {
      seen += chunk;
      const match = seen.match(/serving on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
    void exit.then((f) => reject(new Error(`herald exited (${f.code ?? f.signal}) before serving:\n${f.stderr}`)));
  });
  return { child, url, exit };
}
