/**
 * Every example in README.md and services/*\/README.md, run as written against a fresh `herald start` (all
 * services, embedded broker, a new data directory) per README, checking what each command prints against what
 * the README says (see extract.ts for the conventions). A README added under services/ joins by itself.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHerald } from '../support/herald-process.ts';
import { type ExampleCommand, extractExamples, matchesExpected } from './extract.ts';
import { Shell } from './shell.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const READMES = [
  'README.md',
  ...readdirSync(join(ROOT, 'services'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join('services', entry.name, 'README.md'))
    .filter((file) => {
      try {
        return readFileSync(join(ROOT, file)).length > 0;
      } catch {
        return false;
      }
    }),
];
/** Output that says a request failed, where the README promised nothing in particular. */
const FAILED = /"error":\s*\{\s*"code":\s*"HERALD_/;
/** How long a read-only command may take to show what the README says (the work behind it is asynchronous). */
const SETTLE_MS = 30_000;

/** The Kafka listener's port in the README's examples, served by the test's own listener on a free port. */
const README_LISTENER = '127.0.0.1:9192';
/** kcat runs the Kafka-client examples; without it they are left out (as the interoperability tests are). */
const HAVE_KCAT = spawnSync('sh', ['-c', 'command -v kcat'], { stdio: 'ignore' }).status === 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Commands that only look: safe to run again while what they show catches up. */
function readOnly(command: string): boolean {
  return /^curl\b/.test(command) && !/\s-X\s*(POST|PUT|PATCH|DELETE)\b|\s-d\s/.test(command);
}

describe('README examples', { timeout: 300_000 }, () => {
  for (const file of READMES) {
    const examples = extractExamples(readFileSync(join(ROOT, file), 'utf8')).filter((e) => !e.skip);
    if (examples.length === 0) continue;
    it(`${file}: every example runs as written and prints what it says`, async (t) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'herald-readme-'));
      t.after(() => rmSync(dataDir, { recursive: true, force: true }));
      const listener = `127.0.0.1:${await freePort()}`;
      const herald = await startHerald(t, join(ROOT, 'bin/herald.ts'), ['--data-dir', dataDir], {
        HERALD_BROKER__KAFKA_LISTENER__LISTEN: listener,
        // What `npm start` sets: the reader's server keeps recent traces.
        HERALD_TELEMETRY__TRACES__RECENT: '1000',
      });
      const port = new URL(herald.url).port;
      const rewrite = (command: string) =>
        command
          .replaceAll('localhost:8080', `localhost:${port}`)
          .replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)
          .replaceAll(README_LISTENER, listener);
      const shell = new Shell(ROOT, {
        ...process.env,
        PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`,
        HERALD_HTTP__PORT: port,
      });
      t.after(() => shell.close());
      const problems: string[] = [];
      for (const example of examples) {
        for (const command of example.commands) {
          if (!HAVE_KCAT && /\bkcat\b/.test(command.text)) {
            t.diagnostic(`${file}:${command.line}: left out, kcat is not installed`);
            continue;
          }
          const problem = await check(shell, file, command, rewrite);
          if (problem) problems.push(problem);
        }
      }
      assert.equal(problems.length, 0, `\n${problems.join('\n\n')}`);
    });
  }
});

/** Runs one command until it prints what the README says (read-only ones get time to catch up); the problem if not. */
async function check(
  shell: Shell,
  file: string,
  command: ExampleCommand,
  rewrite: (command: string) => string,
): Promise<string | undefined> {
  const text = rewrite(command.text);
  const where = `${relative(ROOT, join(ROOT, file))}:${command.line}: ${command.text}`;
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const ran = await shell.run(text);
    const printed = ran.stdout.trim();
    const problem =
      ran.code !== 0
        ? `exit ${ran.code}`
        : command.expected !== undefined
          ? matchesExpected(printed, command.expected)
            ? undefined
            : `expected ${command.expected}`
          : FAILED.test(printed)
            ? 'an error'
            : undefined;
    if (problem === undefined) return undefined;
    if (!readOnly(command.text) || Date.now() > deadline) {
      return `${where}\n  ${problem}\n  printed: ${printed}\n  stderr: ${ran.stderr.trim()}`;
    }
    await sleep(500);
  }
}
