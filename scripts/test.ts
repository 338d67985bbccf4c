/**
 * `npm test`: type-check, lint, start real Kafka (a single node and a 3-node cluster, unless already running or
 * pointed elsewhere), run every test with line coverage >= 85% over src/ and services/, stop what it started.
 *
 * Without Java the Kafka tests skip — unless HERALD_REQUIRE_KAFKA=1 (CI), where a missing broker fails the run.
 * PostgreSQL (npm run pg:up) is started the same way; HERALD_REQUIRE_POSTGRES=1 makes its absence a failure.
 */
import { spawnSync } from 'node:child_process';
import { startCluster, startSingle, stopCluster, stopSingle } from './kafka/index.ts';
import { startPostgres, stopPostgres } from './postgres/server.ts';

const node = process.execPath;
const requireKafka = process.env.HERALD_REQUIRE_KAFKA === '1';
const requirePostgres = process.env.HERALD_REQUIRE_POSTGRES === '1';

function step(title: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  return result.status ?? 1;
}

function fail(message: string, code = 1): never {
  process.stderr.write(`npm test: ${message}\n`);
  process.exit(code);
}

if (step('typecheck', node, ['node_modules/typescript/bin/tsc', '--noEmit']) !== 0) fail('type errors');
const lint = ['node_modules/eslint/bin/eslint.js', '--flag', 'unstable_native_nodejs_ts_config', '.'];
if (step('lint', node, lint) !== 0) fail('lint errors (npm run lint:fix fixes some)');

// Start what is not running yet, and stop afterwards only what this run started.
const started: ('single' | 'cluster')[] = [];
if (process.env.HERALD_TEST_KAFKA !== 'none') {
  for (const [name, start] of [
    ['single', startSingle],
    ['cluster', startCluster],
  ] as const) {
    process.stdout.write(`\n== kafka ${name}\n`);
    try {
      const info = await start();
      process.stdout.write(`${info.outcome} at ${info.bootstrapServers.join(',')} in ${info.elapsedMs} ms\n`);
      if (info.outcome === 'started' || info.outcome === 'resumed') started.push(name);
    } catch (err) {
      if (requireKafka) fail(`Kafka ${name} did not start and HERALD_REQUIRE_KAFKA=1: ${(err as Error).message}`);
      process.stdout.write(`Kafka ${name} unavailable (${(err as Error).message}): its tests will be skipped\n`);
    }
  }
}

// PostgreSQL likewise, unless the tests are pointed at another server (HERALD_TEST_POSTGRES).
let startedPostgres = false;
if (!process.env.HERALD_TEST_POSTGRES) {
  process.stdout.write('\n== postgres\n');
  try {
    const info = await startPostgres();
    process.stdout.write(`${info.outcome} at ${info.url} in ${info.elapsedMs} ms\n`);
    startedPostgres = info.outcome === 'started';
  } catch (err) {
    if (requirePostgres) fail(`PostgreSQL did not start and HERALD_REQUIRE_POSTGRES=1: ${(err as Error).message}`);
    process.stdout.write(`PostgreSQL unavailable (${(err as Error).message}): its tests will be skipped\n`);
  }
}

const testArgs = [
  '--test',
  '--test-concurrency=2',
  '--experimental-test-coverage',
  '--test-coverage-lines=85',
  '--test-coverage-include=src/**',
  '--test-coverage-include=services/**',
  ...(process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test/**/*.test.ts']),
];
const code = step('tests', node, testArgs);

if (started.includes('single')) await stopSingle();
if (started.includes('cluster')) await stopCluster();
if (startedPostgres) await stopPostgres();
process.exit(code);
