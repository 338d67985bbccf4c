import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import type { ServiceDefinition } from '../../src/platform/service.ts';

export interface CliOptions {
  /** Make stdout look like a terminal (tables, readable records). */
  tty?: boolean;
  /** Bytes on stdin. */
  stdin?: Buffer | string;
  signal?: AbortSignal;
}

/** Runs the CLI in this process with captured output. */
export async function cli(
  args: string[],
  env: Record<string, string> = {},
  services: ServiceDefinition[] = [],
  options: CliOptions = {},
) {
  const stdout = Object.assign(new PassThrough(), options.tty ? { isTTY: true } : {});
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  let err = '';
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  stderr.on('data', (chunk: Buffer) => (err += chunk));
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  const code = await main(args, { stdout, stderr, env, stdin, signal: options.signal }, services);
  const bytes = Buffer.concat(chunks);
  const out = bytes.toString('utf8');
  return { code, bytes, stdout: out, stderr: err, lines: jsonLines(out) };
}

/** Output parsed as JSON lines; `[]` when it is not JSON lines (a table, a template). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked by the assertions.
function jsonLines(out: string): any[] {
  try {
    return out.trim() ? out.trim().split('\n').map((l) => JSON.parse(l)) : [];
  } catch {
    return [];
  }
}
