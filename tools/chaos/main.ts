/**
 * `npm run chaos`: the robustness suite — malformed requests on every route, SIGKILL under acknowledged load, SIGTERM
 * with a slow client, a full disk, planted secrets — against real Herald processes on the embedded broker. Prints a
 * line per probe with its figures; exits 0 when no probe found a problem, 1 otherwise, 2 on bad arguments.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bodiesProbe } from './bodies.ts';
import { diskProbe } from './disk.ts';
import { killsProbe } from './kills.ts';
import { type ChaosOptions, type ProbeName, parseChaosArgs, USAGE } from './options.ts';
import { formatReport, probe, type ProbeResult } from './report.ts';
import { secretsProbe } from './secrets.ts';
import { shutdownProbe } from './shutdown.ts';

const RUNS: Record<ProbeName, (workDir: string, result: ProbeResult, options: ChaosOptions) => Promise<void>> = {
  bodies: bodiesProbe,
  kills: killsProbe,
  shutdown: shutdownProbe,
  disk: diskProbe,
  secrets: secretsProbe,
};

if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
let options: ChaosOptions;
try {
  options = parseChaosArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`chaos: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const workDir = mkdtempSync(path.join(options.workDir ?? os.tmpdir(), 'herald-chaos-'));
const results: ProbeResult[] = [];
try {
  for (const name of options.probes) {
    process.stderr.write(`chaos: ${name}…\n`);
    results.push(await probe(name, (result) => RUNS[name](workDir, result, options)));
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
process.stdout.write(`${formatReport(results)}\n`);
if (options.json) process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(results.every((r) => r.problems.length === 0) ? 0 : 1);
