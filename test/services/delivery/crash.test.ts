/**
 * Durability across `kill -9`: Herald runs as a real child process (`bin/herald.ts start delivery`), is SIGKILLed
 * while events flow in and out, and is started again on the same data dir. Everything it acknowledged must be
 * delivered, in order per user.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { generateLoad } from '../../../tools/delivery-check/load.ts';
import { summarise } from '../../../tools/delivery-check/verify.ts';
import { run, startHerald } from '../../support/herald-process.ts';
import { destination, eventStatus, receivedAll, recorder, waitFor } from './helpers.ts';

const HERALD = path.resolve('bin/herald.ts');

describe('delivery durability', { timeout: 180_000 }, () => {
  it('delivers everything acknowledged before and after a SIGKILL, in order', async (t) => {
    const dest = await recorder(t, { failureRate: 0.2, maxLatencyMs: 5 });
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-delivery-crash-'));
    const config = path.join(dir, 'herald.json');
    // Schema keys in files are snake_case; the destination entries keep their own camelCase names.
    writeFileSync(config, JSON.stringify({ delivery: { mocks: [], destinations: [destination('crash', dest.url)] } }));
    const args = ['delivery', '--data-dir', path.join(dir, 'data'), '--config', config];

    let restarted: Promise<void> | undefined;
    let herald: Awaited<ReturnType<typeof startHerald>> | undefined = await startHerald(t, HERALD, args);
    // After hooks run in the order registered: stop whichever Herald is running before removing its data dir.
    t.after(async () => {
      await restarted?.catch(() => {});
      if (herald !== undefined && herald.child.exitCode === null && herald.child.signalCode === null) {
        herald.child.kill('SIGKILL');
        await herald.exit;
      }
      rmSync(dir, { recursive: true, force: true });
    });
    let killedAfter = 0;
    const load = generateLoad({
      users: 10,
      events: 40,
      concurrency: 10,
      baseUrl: () => herald?.url,
      onAccepted: () => {
        killedAfter += 1;
        if (killedAfter !== 150 || herald === undefined) return;
        const victim = herald;
        herald = undefined;
        restarted = (async () => {
          victim.child.kill('SIGKILL');
          await victim.exit;
          herald = await startHerald(t, HERALD, args);
        })();
      },
    });
    const { accepted } = await load;
    await restarted;
    assert.ok(restarted, 'Herald was killed mid-run');
    await waitFor(
      'every acknowledged event delivered',
      () =>
        receivedAll(
          dest,
          accepted.map((e) => e.id),
        ),
      120_000,
    );
    const summary = summarise(accepted, dest.receipts, () => false);
    assert.equal(summary.lost, 0);
    assert.equal(summary.orderViolations, 0);
    assert.equal(summary.delivered, accepted.length);
    const status = await eventStatus(herald!.url, accepted[0].id);
    assert.equal(status.destinations.crash.status, 'delivered', 'statuses survive the crash too');
  });

  it('npm run delivery:check passes with a SIGKILL mid-run', async () => {
    const result = await run(path.resolve('tools/delivery-check/main.ts'), [
      '--users',
      '10',
      '--events',
      '30',
      '--kill-after',
      '700ms',
      '--latency-ms',
      '5',
      '--timeout',
      '120s',
    ]);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /accepted: 300/);
    assert.match(
      result.stdout,
      /check-a: delivered \d+, dead-lettered \d+, duplicates \d+, order violations 0, lost 0/,
    );
    assert.match(result.stdout, /killed at/);
  });
});
