/** The robustness suite (`npm run chaos`), run here with small bounds: every probe must find nothing wrong. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { bodiesProbe } from '../../tools/chaos/bodies.ts';
import { diskProbe } from '../../tools/chaos/disk.ts';
import { killsProbe } from '../../tools/chaos/kills.ts';
import { type ChaosOptions, parseChaosArgs } from '../../tools/chaos/options.ts';
import { formatReport, probe, type ProbeResult } from '../../tools/chaos/report.ts';
import { secretsProbe } from '../../tools/chaos/secrets.ts';
import { shutdownProbe } from '../../tools/chaos/shutdown.ts';

const MAIN = path.join(import.meta.dirname, '../../tools/chaos/main.ts');
const OPTIONS: ChaosOptions = { ...parseChaosArgs([]), kills: 2, killEveryMs: 1_500 };

async function run(
  t: TestContext,
  name: string,
  fn: (workDir: string, result: ProbeResult, options: ChaosOptions) => Promise<void>,
): Promise<ProbeResult> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'herald-chaos-test-'));
  t.after(() => rmSync(workDir, { recursive: true, force: true }));
  const result = await probe(name, (r) => fn(workDir, r, OPTIONS));
  t.diagnostic(formatReport([result]));
  if (result.skipped !== undefined) t.skip(result.skipped);
  assert.deepEqual(result.problems, []);
  return result;
}

describe('robustness suite', { timeout: 300_000 }, () => {
  it('bodies: no 5xx and coded errors on every route', async (t) => {
    const result = await run(t, 'bodies', bodiesProbe);
    assert.ok(result.figures.routes > 30, `${result.figures.routes} routes`);
    assert.ok(result.figures.requests > 300);
  });

  it('kills: nothing acknowledged lost, per-key order kept, across SIGKILLs', async (t) => {
    const result = await run(t, 'kills', killsProbe);
    assert.equal(result.figures.kills, 2);
    assert.ok(result.figures.acknowledged > 0);
    assert.equal(result.figures.lost, 0);
  });

  it('shutdown: a clean stop with a slow client and an idle connection', async (t) => {
    const result = await run(t, 'shutdown', shutdownProbe);
    assert.equal(result.figures['exit code'], 0);
  });

  it('disk: a full disk refuses starts and writes with coded errors and loses nothing', async (t) => {
    const result = await run(t, 'disk', diskProbe);
    if (result.skipped === undefined) assert.equal(result.figures.lost, 0);
  });

  it('secrets: planted secrets show nowhere', async (t) => {
    await run(t, 'secrets', secretsProbe);
  });

  it('reports a failing probe, and the command refuses bad arguments', async () => {
    const failing = await probe('broken', async () => {
      throw new Error('boom');
    });
    assert.match(formatReport([failing]), /^PROBLEMS broken/);
    assert.match(formatReport([failing]), /boom/);
    assert.throws(() => parseChaosArgs(['--probes', 'nope']), /no probe nope/);
    assert.throws(() => parseChaosArgs(['--kills', '0']), /positive/);
    assert.deepEqual(parseChaosArgs(['--probes', 'kills', '--kill-every', '500ms', '--json']).probes, ['kills']);
    const bad = spawnSync(process.execPath, [MAIN, '--bogus'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown argument --bogus/);
    const help = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /usage: npm run chaos/);
  });
});
