import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { createBroker } from '../../../src/broker/index.ts';
import { walletNames, type WalletNames } from '../../../services/wallet/topics.ts';
import { childReached, type JsonLinesChild, spawnJsonLinesChild } from '../../support/json-lines-child.ts';
import { kafkaSingle } from '../../support/kafka.ts';
import { logger, waitFor } from '../../processor/harness.ts';
import { assertBalances, assertThresholds, PARTITIONS, produceDeposits } from './harness.ts';

/**
 * Exactly-once balances under SIGKILL: the wallet's processor groups (balance, threshold, flagger) run in a child
 * process booted like `herald start wallet --set wallet.role=processors`, killed -9 again and again at random
 * moments while deposits are being processed; once a last run caught up, every balance is the sum of the
 * acknowledged deposits, exactly, and every threshold state is the rule applied once to each deposit.
 */
/**
 * More on the embedded broker, which works through a backlog fast: with 60,000 deposits and kills 20–420 ms after
 * each start, a warm machine once finished after the first kill. Now two kills, at most 210 ms of work each, land
 * before the end unless both groups process more than ~285,000 deposits a second.
 */
const EMBEDDED_DEPOSITS = 120_000;
const DEPOSITS = 20_000;
const WALLETS = 100;
const KILLS = 4;
/** `at-least-once` shows the test can fail: killed processors then count some deposits twice. */
const GUARANTEE = process.env.HERALD_TEST_WALLET_GUARANTEE || 'exactly-once';

interface ChildEvent {
  event: 'started' | 'done' | 'error';
  message?: string;
}

const SCRIPT = 'test/services/wallet/processes-child.ts';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function groupsOf(names: WalletNames): [string, string][] {
  return [
    [names.balance, names.deposit],
    [names.threshold, names.deposit],
  ];
}

async function started(child: JsonLinesChild<ChildEvent>) {
  await waitFor('the child to start', childReached(child, (events) => events.some((e) => e.event === 'started')), 120_000);
}

async function kill(child: JsonLinesChild<ChildEvent>) {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGKILL');
  await exited;
}

/** Kills the processors `KILLS` times at random moments (after `minMs`), then lets a last run catch up. */
async function killRepeatedly(t: TestContext, flags: Record<string, string>, names: WalletNames, minMs: number, spreadMs: number) {
  let kills = 0;
  for (let round = 0; round < KILLS; round++) {
    const child = spawnJsonLinesChild<ChildEvent>(SCRIPT, [flags, groupsOf(names)], (fn) => t.after(fn));
    await started(child);
    await sleep(minMs + Math.floor(Math.random() * spreadMs));
    if (child.events.some((e) => e.event === 'done')) {
      await kill(child);
      break;
    }
    await kill(child);
    kills += 1;
  }
  assert.ok(kills >= 2, `only ${kills} kills landed before the work was done`);
  const last = spawnJsonLinesChild<ChildEvent>(SCRIPT, [flags, groupsOf(names)], (fn) => t.after(fn));
  await waitFor('the last run to catch up', childReached(last, (events) => events.some((e) => e.event === 'done')), 600_000);
  return last;
}

describe(`wallet exactly-once under SIGKILL (${WALLETS} wallets, ${KILLS} kills)`, () => {
  it('embedded broker: balances exact, threshold states as if each deposit were applied once', { timeout: 900_000 }, async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'herald-wallet-eos-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const names = walletNames('');
    const sums = new Map<string, bigint>();
    // The embedded broker belongs to one process at a time: the deposits are appended first (the load the
    // processors work through while killed), then handed to the children, then checked.
    const setup = await createBroker({ kind: 'embedded', dataDir }, logger);
    await setup.start();
    await setup.admin.createTopic({ name: names.deposit, partitions: PARTITIONS });
    await produceDeposits(setup, names, { from: 0, to: EMBEDDED_DEPOSITS, wallets: WALLETS }, sums);
    await setup.stop();
    const flags = {
      dataDir,
      'wallet.role': 'processors',
      'wallet.partitions': String(PARTITIONS),
      'wallet.guarantee': GUARANTEE,
    };
    const last = await killRepeatedly(t, flags, names, 10, 200);
    await kill(last);
    const check = await createBroker({ kind: 'embedded', dataDir }, logger);
    await check.start();
    t.after(() => check.stop());
    await assertBalances(check, names, sums);
    const flagged = await assertThresholds(check, names);
    assert.deepEqual(flagged.sort(), Array.from({ length: 10 }, (_, n) => `wallet-${n}`).sort());
  });

  it('Kafka: deposits appended while the processors are killed; balances exact', { timeout: 900_000 }, async (t) => {
    const servers = await kafkaSingle(t);
    if (servers === undefined) return;
    const stateDir = await mkdtemp(join(tmpdir(), 'herald-wallet-eos-'));
    t.after(() => rm(stateDir, { recursive: true, force: true }));
    const names = walletNames(`w${randomUUID().slice(0, 8)}.`);
    const broker = await createBroker({ kind: 'kafka', bootstrap: servers }, logger);
    await broker.start();
    t.after(() => broker.stop());
    await broker.admin.createTopic({ name: names.deposit, partitions: PARTITIONS });
    const sums = new Map<string, bigint>();
    // The load: batches of 100 deposits, acknowledged one batch after the other, for as long as the kills last.
    const load = (async () => {
      for (let from = 0; from < DEPOSITS; from += 1_000) {
        await produceDeposits(broker, names, { from, to: from + 1_000, wallets: WALLETS, batch: 100 }, sums);
        await sleep(500);
      }
    })();
    const flags = {
      dataDir: stateDir,
      'broker.url': `kafka://${servers.join(',')}`,
      'wallet.prefix': names.deposit.slice(0, -'deposit'.length),
      'wallet.role': 'processors',
      'wallet.partitions': String(PARTITIONS),
      'wallet.sessionTimeoutMs': '6000',
      'wallet.guarantee': GUARANTEE,
    };
    let kills = 0;
    for (let round = 0; round < KILLS; round++) {
      const child = spawnJsonLinesChild<ChildEvent>(SCRIPT, [flags, groupsOf(names)], (fn) => t.after(fn));
      await started(child);
      await sleep(500 + Math.floor(Math.random() * 2_000));
      await kill(child);
      kills += 1;
    }
    await load;
    assert.ok(kills >= 2);
    const last = spawnJsonLinesChild<ChildEvent>(SCRIPT, [flags, groupsOf(names)], (fn) => t.after(fn));
    await waitFor('the last run to catch up', childReached(last, (events) => events.some((e) => e.event === 'done')), 600_000);
    await assertBalances(broker, names, sums);
    const flagged = await assertThresholds(broker, names);
    assert.deepEqual(flagged.sort(), Array.from({ length: 10 }, (_, n) => `wallet-${n}`).sort());
    await kill(last);
  });
});
