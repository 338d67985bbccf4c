/**
 * `npm run bench -- NAME [args…]` runs bench/NAME.ts on this project's Node; without a name, lists the benchmarks.
 * Results go to stdout; BENCHMARKS.md records them with the command, the machine and the date.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const available = readdirSync(new URL('.', import.meta.url))
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
  .map((file) => file.slice(0, -3))
  .sort();
const [name, ...rest] = process.argv.slice(2);
// `npm run bench -- NAME -- --reps 3` hands the benchmark a leading `--`, which its strict parser would refuse.
const args = rest[0] === '--' ? rest.slice(1) : rest;
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- NAME [args…]\nbenchmarks: ${available.join(', ')}\n`);
  process.exit(name ? 2 : 0);
}
const result = spawnSync(process.execPath, [`bench/${name}.ts`, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
