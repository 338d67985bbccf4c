import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/** What one command printed, and its exit code. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const MARK = '__herald_example_done__';

/**
 * One bash process that runs commands one at a time, as a reader pastes them into a terminal: variables set by
 * one command are seen by the next. Each command's output ends at a marker line carrying its exit code.
 */
export class Shell {
  readonly #bash: ChildProcessWithoutNullStreams;
  #stdout = '';
  #stderr = '';
  #waiting?: () => void;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.#bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env });
    this.#bash.stdout.on('data', (chunk: Buffer) => {
      this.#stdout += chunk;
      this.#waiting?.();
    });
    this.#bash.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk));
    this.#bash.on('exit', () => this.#waiting?.());
    this.#bash.stdin.write('set -o pipefail\n');
  }

  /** Runs `command` and resolves with what it printed once it is done (within `timeoutMs`). */
  async run(command: string, timeoutMs = 60_000): Promise<Ran> {
    this.#stdout = '';
    this.#stderr = '';
    this.#bash.stdin.write(`${command}\nprintf '\\n${MARK} %s\\n' "$?"\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = new RegExp(`\\n${MARK} (\\d+)\\n`).exec(this.#stdout);
      if (match) return { code: Number(match[1]), stdout: this.#stdout.slice(0, match.index), stderr: this.#stderr };
      if (this.#bash.exitCode !== null) throw new Error(`the shell exited (${this.#bash.exitCode}): ${this.#stderr}`);
      if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms; printed so far: ${this.#stdout}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        this.#waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.#bash.stdin.end();
    if (this.#bash.exitCode === null) this.#bash.kill('SIGKILL');
  }
}
