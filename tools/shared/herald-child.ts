import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `bin/herald.ts` of this checkout. */
export const HERALD_BIN = fileURLToPath(new URL('../../bin/herald.ts', import.meta.url));

export interface HeraldChildOptions {
  /** The data directory (kept across restarts: that is what a restart recovers from). */
  dataDir: string;
  /** The whole config, written to `<dataDir>/../herald-check.json` and passed with `--config`. */
  config: Record<string, unknown>;
  /** The services to start (`herald start <services…>`). Default `['delivery']`. */
  services?: string[];
  /** Extra arguments after `start <services…>`. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Node flags before the script (e.g. a CPU profile's). */
  nodeFlags?: string[];
  /** Where the child's stderr goes besides the check (for diagnosis); default: kept in `stderr`. */
  onStderr?: (text: string) => void;
  /** Serving must begin within this long. Default 60 s. */
  startTimeoutMs?: number;
}

/**
 * Herald (`bin/herald.ts start <services…>`) as a child process that can be SIGKILLed and started again on the same
 * data dir — the durability half of the delivery check, the robustness suite and the crash tests.
 */
export class HeraldChild {
  readonly #options: HeraldChildOptions;
  readonly #configFile: string;
  #child: ChildProcess | undefined;
  #url: string | undefined;
  stderr = '';
  starts = 0;

  constructor(options: HeraldChildOptions) {
    this.#options = options;
    this.#configFile = path.join(path.dirname(options.dataDir), `${path.basename(options.dataDir)}.config.json`);
    writeFileSync(this.#configFile, JSON.stringify(options.config, null, 2));
  }

  /** The base URL while running; `undefined` while down. */
  get url(): string | undefined {
    return this.#url;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The running process, for probes that signal it themselves. */
  get process(): ChildProcess | undefined {
    return this.#child;
  }

  /** Starts the process and resolves with its base URL once it serves. */
  async start(): Promise<string> {
    const args = [
      ...(this.#options.nodeFlags ?? []),
      HERALD_BIN,
      'start',
      ...(this.#options.services ?? ['delivery']),
      '--config',
      this.#configFile,
      '--data-dir',
      this.#options.dataDir,
      '--port',
      '0',
      ...(this.#options.args ?? []),
    ];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...this.#options.env },
    });
    this.#child = child;
    // Whatever ends this process (an error, process.exit) must not leave the child serving on its own.
    const orphanGuard = () => child.kill('SIGKILL');
    process.once('exit', orphanGuard);
    child.once('exit', () => process.removeListener('exit', orphanGuard));
    this.starts += 1;
    const exited = once(child, 'exit');
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(
        () => reject(new Error(`herald did not start serving within the timeout:\n${seen}`)),
        this.#options.startTimeoutMs ?? 60_000,
      );
      child.stderr!.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        seen += text;
        this.stderr = (this.stderr + text).slice(-20_000);
        this.#options.onStderr?.(text);
        const match = seen.match(/serving on (http:\/\/\S+)/);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      void exited.then(([code, signal]) => {
        clearTimeout(timer);
        reject(new Error(`herald exited (${code ?? signal}) before serving:\n${seen}`));
      });
    });
    this.#url = url;
    void exited.then(() => {
      if (this.#child === child) this.#url = undefined;
    });
    return url;
  }

  /** SIGKILL: no shutdown, no flush — what a crash or an OOM kill does. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#url = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM and wait for the graceful stop; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    const child = this.#child;
    this.#url = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
