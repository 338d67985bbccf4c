import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import type { ServiceDefinition } from '../../src/platform/service.ts';

/** Runs the CLI in this process with captured output. */
export async function cli(args: string[], env: Record<string, string> = {}, services: ServiceDefinition[] = []) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk));
  stderr.on('data', (chunk: Buffer) => (err += chunk));
  const code = await main(args, { stdout, stderr, env }, services);
  return {
    code,
    stdout: out,
    stderr: err,
    lines: out.trim()
      ? out
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
      : [],
  };
}
