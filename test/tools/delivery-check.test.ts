import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCheckArgs, parseDuration } from '../../tools/delivery-check/options.ts';
import type { Receipt } from '../../tools/delivery-check/recorder.ts';
import { formatSummary, summarise, unsettled } from '../../tools/delivery-check/verify.ts';

const receipt = (id: string, userId: string, seq: number): Receipt => ({
  id,
  userId,
  seq,
  at: 0,
  body: {},
  headers: {},
});

describe('delivery check', () => {
  it('counts delivered, dead, duplicates, reorderings, lost and unacknowledged', () => {
    const accepted = [
      { id: 'a0', userId: 'a', seq: 0 },
      { id: 'a1', userId: 'a', seq: 1 },
      { id: 'a2', userId: 'a', seq: 2 },
      { id: 'b0', userId: 'b', seq: 0 },
      { id: 'b1', userId: 'b', seq: 1 },
      { id: 'b2', userId: 'b', seq: 2 },
    ];
    const receipts = [
      receipt('a0', 'a', 0),
      receipt('a2', 'a', 2),
      receipt('a1', 'a', 1), // after a later one: a reordering
      receipt('a0', 'a', 0), // duplicate, not a reordering
      receipt('x1', 'b', 0), // written before a crash, never acknowledged; same seq as b0's retry
      receipt('b0', 'b', 0),
      receipt('b2', 'b', 2),
    ];
    const dead = new Set(['b1']);
    const summary = summarise(accepted, receipts, (id) => dead.has(id));
    assert.deepEqual(summary, {
      delivered: 5,
      deadLettered: 1,
      duplicates: 1,
      orderViolations: 1,
      lost: 0,
      unacknowledged: 1,
      lostSample: [],
    });
    assert.deepEqual(
      unsettled(accepted, receipts.slice(0, 2), () => false),
      ['a1', 'b0', 'b1', 'b2'],
    );
    const text = formatSummary({ accepted: 6, destinations: { d: summary }, ok: false });
    assert.match(text, /d: delivered 5, dead-lettered 1, duplicates 1, order violations 1, lost 0/);
    assert.match(text, /FAILED/);
  });

  it('parses its arguments', () => {
    const options = parseCheckArgs(['--users', '5', '--events', '7', '--kill-after', '2s', '--failure-rates', '0.1']);
    assert.equal(options.users, 5);
    assert.equal(options.events, 7);
    assert.equal(options.killAfterMs, 2000);
    assert.deepEqual(options.failureRates, [0.1]);
    assert.equal(options.broker, 'embedded');
    assert.equal(parseDuration('800ms'), 800);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('15'), 15);
    assert.throws(() => parseDuration('soon'), /not a duration/);
    assert.throws(() => parseCheckArgs(['--users', '0']), /positive integer/);
    assert.throws(() => parseCheckArgs(['--failure-rates', '2']), /between 0 and 1/);
    assert.throws(() => parseCheckArgs(['--broker', 'redis://x']), /--broker/);
    assert.throws(() => parseCheckArgs(['--nope']));
  });

  it('prints its usage on --help (exit 0) and on a bad argument (exit 2)', () => {
    const main = join(import.meta.dirname, '../../tools/delivery-check/main.ts');
    const help = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: npm run delivery:check/);
    const bad = spawnSync(process.execPath, [main, '--nope'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /usage: npm run delivery:check/);
  });
});
