/**
 * `npm run delivery:check -- --users 100 --events 100 [--kill-after 5s]`: runs Herald's delivery service as a child
 * process against local destinations, sends numbered events per user, optionally SIGKILLs and restarts Herald
 * mid-run, and prints what arrived: delivered per destination, dead-lettered, duplicates, order violations and
 * lost events. Exits 0 when nothing was lost or reordered, 1 otherwise, 2 on bad arguments.
 */
import { parseCheckArgs, USAGE } from './options.ts';
import { runCheck } from './run.ts';
import { formatSummary } from './verify.ts';

let options: ReturnType<typeof parseCheckArgs>;
if (process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
try {
  options = parseCheckArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`delivery:check: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
const log = (line: string) => process.stderr.write(`delivery:check: ${line}\n`);
// Ctrl-C: exit (the Herald child is killed on exit) rather than leave it running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const result = await runCheck(options, log);
process.stdout.write(`${formatSummary(result.summary)}\n`);
const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
process.stdout.write(
  `load ${seconds(result.loadMs)}, all settled after ${seconds(result.totalMs)}` +
    (result.killedAtMs === undefined
      ? '\n'
      : `, killed at ${seconds(result.killedAtMs)}, back after ${seconds(result.restartedAfterMs)}\n`),
);
if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result.summary.ok ? 0 : 1);
