import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Long-lived background JVMs and short tool runs. A started process is detached into its own process group with
 * output appended to a log file, so it outlives the script that started it; its pid goes to a pid file.
 */

/** Whether `pid` is a live process. A zombie (exited, not yet reaped) counts as dead. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill(0) is all we know
  }
}

/** The command line of a live process, NUL separators as spaces; undefined when unknown (gone, or no /proc). */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/** The pid stored in `pidFile`, or undefined when the file is missing or holds no number. */
export function readPidFile(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface DetachedLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Appended to (stdout and stderr both), so restarts of the same node keep one history. */
  readonly logFile: string;
  readonly pidFile: string;
}

/**
 * Starts `command` detached and unreferenced (the caller may exit; the process keeps running) and writes its pid.
 * @returns the pid.
 * @throws Error when the process could not be created (no pid).
 */
export function launchDetached(launch: DetachedLaunch): number {
  const out = openSync(launch.logFile, 'a');
  try {
    writeFileSync(out, `\n=== ${new Date().toISOString()} ${launch.command} ${launch.args.join(' ')}\n`);
    const child = spawn(launch.command, launch.args, {
      cwd: launch.cwd,
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.on('error', () => {}); // surfaced below as a missing pid, or later as a dead process
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${launch.command}`);
    writeFileSync(launch.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** Resolves true once `pid` is gone, false if it is still alive after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Stops `pid`: SIGTERM, then SIGKILL if it has not exited after `graceMs` (0 = SIGKILL straight away).
 * @returns how it ended; 'not-running' when it was already gone.
 */
export async function terminate(pid: number, graceMs: number): Promise<'terminated' | 'killed' | 'not-running'> {
  if (!isAlive(pid)) return 'not-running';
  if (graceMs > 0) {
    signal(pid, 'SIGTERM');
    if (await waitForExit(pid, graceMs)) return 'terminated';
  }
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 10_000);
  return 'killed';
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone between the check and the signal
  }
}

export interface ToolRun {
  readonly code: number | null;
  /** stdout and stderr interleaved. */
  readonly output: string;
}

/** Runs a short command to completion, capturing its output; never rejects (a spawn failure is code null). */
export function runTool(command: string, args: readonly string[], cwd: string): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (err) => resolve({ code: null, output: err.message }));
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString('utf8') }));
  });
}
