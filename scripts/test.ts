/**
 * `npm test`: type-check, lint, start real Kafka (a single node and a 3-node cluster, unless already running or
 * pointed elsewhere), run every test with line coverage >= 85% over src/ and services/, stop what it started.
 *
 * Without Java the Kafka tests skip — unless HERALD_REQUIRE_KAFKA=1 (CI), where a missing broker fails the run.
 */
import { spawnSync } from 'node:child_process';

const node = process.execPath;
const requireKafka = process.env.HERALD_REQUIRE_KAFKA === '1';

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
if (step('lint', node, ['node_modules/@biomejs/biome/bin/biome', 'check', '.']) !== 0)
  fail('lint errors (npm run format fixes most)');

const started: string[] = [];
const skipKafka = process.env.HERALD_TEST_KAFKA === 'none';
if (!skipKafka) {
  for (const [name, script] of [
    ['single', 'scripts/kafka/up.ts'],
    ['cluster', 'scripts/kafka/cluster.ts'],
  ] as const) {
    if (step(`kafka ${name}`, node, [script]) === 0) started.push(name);
    else if (requireKafka) fail(`Kafka ${name} did not start and HERALD_REQUIRE_KAFKA=1`);
    else process.stdout.write(`Kafka ${name} unavailable: its tests will be skipped\n`);
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

if (started.length > 0) step('kafka down', node, ['scripts/kafka/down.ts']);
process.exit(code);
