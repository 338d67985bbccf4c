/**
 * Clients no one here wrote, for interop tests: Kafka's own console tools (Java, from the jars the kafka scripts
 * cache) and kcat (librdkafka). Each helper says when its tool is missing so the test can skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { kafkaClasspath, kafkaLayout } from '../../../scripts/kafka/index.ts';

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, feeding `input` to its stdin. */
export function run(command: string, args: string[], input?: string, timeoutMs = 60_000): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** Why Kafka's Java tools cannot run here, or undefined when they can. */
export function javaToolsMissing(): string | undefined {
  if (spawnSync('java', ['-version']).status !== 0) return 'no java on PATH';
  const layout = kafkaLayout();
  if (!existsSync(layout.jarsMarker)) return `no Kafka jars in ${layout.jarsDir}: run npm run kafka:jars`;
  return undefined;
}

/** Why kcat cannot run here, or undefined when it can. */
export function kcatMissing(): string | undefined {
  return spawnSync('kcat', ['-V']).status === 0 ? undefined : 'no kcat on PATH (apt-get install kcat)';
}

/** Runs one of Kafka's tool classes; rejects unless it exits 0. */
export async function kafkaTool(mainClass: string, args: string[], input?: string): Promise<string> {
  const result = await run('java', ['-Xmx256m', '-cp', kafkaClasspath(), mainClass, ...args], input);
  if (result.code !== 0) throw new Error(`${mainClass} exited ${result.code}:\n${result.stderr}`);
  return result.stdout;
}

/** Runs kcat; rejects unless it exits 0. */
export async function kcat(args: string[], input?: string): Promise<string> {
  const result = await run('kcat', args, input);
  if (result.code !== 0) throw new Error(`kcat exited ${result.code}:\n${result.stderr}`);
  return result.stdout;
}

/** Everything `topic` holds, read by kcat from the beginning to the end, one line per record in `format`. */
export function kcatReadAll(bootstrap: readonly string[], topic: string, format: string): Promise<string> {
  return kcat(['-C', '-b', bootstrap.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', format]);
}
