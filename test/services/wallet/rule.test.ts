import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { thresholdRule } from '../../../services/wallet/index.ts';
import { balanceGroup, flaggerGroup, thresholdGroup } from '../../../services/wallet/processors.ts';
import { walletNames } from '../../../services/wallet/topics.ts';
import { configSchema } from '../../../services/wallet/config.ts';
import { DepositSchema, FlagWalletSchema } from '../../../src/gen/herald/wallet/v1/wallet_pb.ts';
import { TopologyTester } from '../../../src/processor/tester.ts';

const names = walletNames('');
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const defaults = Object.fromEntries(Object.entries(configSchema).map(([k, f]) => [k, f.default])) as never;
const rule = thresholdRule(defaults);

/** Deposits (currency units) at event times (ms after T0) into one wallet; the threshold group's verdict. */
async function verdict(deposits: [atMs: number, amount: number][], wallet = 'w-1') {
  const t = new TopologyTester(thresholdGroup(names, rule), { partitions: 4, startTime: T0 });
  for (const [at, amount] of deposits) {
    const deposit = create(DepositSchema, { walletId: wallet, amount: BigInt(amount * 100) });
    await t.send(names.deposit, wallet, deposit, { timestamp: T0 + at });
  }
  return { above: t.table(wallet)?.aboveThreshold ?? false, flags: t.emitted(names.flagWallet), tester: t };
}

describe('threshold rule: the four cases (threshold 10,000, windows of 2 minutes by event time)', () => {
  it('1. two deposits of 6,000 within 2 minutes: above', async () => {
    const { above, flags } = await verdict([[0, 6_000], [MINUTE, 6_000]]);
    assert.equal(above, true);
    assert.deepEqual(flags.map((f) => [f.key, f.value?.flagged]), [['w-1', true]]);
  });

  it('2. 6,000, then 6,000 two minutes later: not above (the second opens a new window)', async () => {
    const { above, flags } = await verdict([[0, 6_000], [2 * MINUTE, 6_000]]);
    assert.equal(above, false);
    assert.equal(flags.length, 0);
  });

  it('3. five deposits of 2,000 within 2 minutes, then 6,000 five seconds after that window ended: not above', async () => {
    const five: [number, number][] = [0, 20, 40, 60, 80].map((s) => [s * 1000, 2_000]);
    const { above } = await verdict([...five, [2 * MINUTE + 5_000, 6_000]]);
    assert.equal(above, false);
  });

  it('4. six deposits of 2,000 within 2 minutes: above', async () => {
    const six: [number, number][] = [0, 20, 40, 60, 80, 119].map((s) => [s * 1000, 2_000]);
    const { above } = await verdict(six);
    assert.equal(above, true);
  });

  it('exactly the threshold is not above it (more than, not at least)', async () => {
    assert.equal((await verdict([[0, 5_000], [1_000, 5_000]])).above, false);
    assert.equal((await verdict([[0, 5_000], [1_000, 5_000.01]])).above, true);
  });

  it('once above, stays above, and keeps no window', async () => {
    const { above, tester } = await verdict([[0, 6_000], [MINUTE, 6_000], [10 * MINUTE, 1]]);
    assert.equal(above, true);
    assert.deepEqual(tester.table('w-1')?.windows, []);
    assert.equal(tester.emitted(names.flagWallet).length, 1, 'flagged once');
  });

  it('the window does not slide: it is anchored at its first deposit, not the latest', async () => {
    // 6,000 at 0:00, 3,000 at 1:30 (window [0:00, 2:00) holds 9,000), 3,000 at 2:10 opens [2:10, 4:10).
    assert.equal((await verdict([[0, 6_000], [90_000, 3_000], [130_000, 3_000]])).above, false);
  });

  it('state stays bounded: thousands of deposits keep at most two windows', async () => {
    const t = new TopologyTester(thresholdGroup(names, rule), { startTime: T0 });
    for (let i = 0; i < 2_000; i++) {
      const deposit = create(DepositSchema, { walletId: 'w', amount: 100n });
      await t.send(names.deposit, 'w', deposit, { timestamp: T0 + i * 7_000 });
      assert.ok((t.table('w')?.windows.length ?? 0) <= 2);
    }
    assert.equal(t.table('w')?.aboveThreshold, false);
  });

  it('out of order within the grace goes into its window; beyond the grace it is late and counts in no window', async () => {
    // Window [0:00, 2:00) has 6,000; stream time reaches 2:03 through another wallet; a deposit stamped 1:59 is
    // 4 s behind (grace 5 s): it joins the first window, which crosses.
    const t = new TopologyTester(thresholdGroup(names, rule), { startTime: T0 });
    const send = (wallet: string, at: number, amount: number) =>
      t.send(names.deposit, wallet, create(DepositSchema, { walletId: wallet, amount: BigInt(amount * 100) }), {
        timestamp: T0 + at,
      });
    await send('a', 0, 6_000);
    await send('b', 123_000, 1);
    const inGrace = await send('a', 119_000, 6_000);
    assert.equal(inGrace.late, false);
    assert.equal(t.table('a')?.aboveThreshold, true);
    // Wallet c: 6,000 at 2:10; stream time reaches 4:20; 6,000 stamped 3:10 is 70 s behind: late, not counted.
    await send('c', 130_000, 6_000);
    await send('b', 260_000, 1);
    const late = await send('c', 190_000, 6_000);
    assert.equal(late.late, true);
    assert.equal(t.table('c')?.aboveThreshold, false);
    assert.equal(t.lateRecords, 1);
  });
});

describe('balance and flagger groups', () => {
  it('balances are exact sums of minor units: 0.1 + 0.2 is 0.30', async () => {
    const t = new TopologyTester(balanceGroup(names));
    for (const minor of [10n, 20n]) await t.send(names.deposit, 'w', create(DepositSchema, { walletId: 'w', amount: minor }));
    assert.equal(t.table('w')?.balance, 30n);
    assert.equal(t.table('w')?.walletId, 'w');
  });

  it('the flagger keeps the last flag of a wallet', async () => {
    const t = new TopologyTester(flaggerGroup(names));
    await t.send(names.flagWallet, 'w', create(FlagWalletSchema, { walletId: 'w', flagged: true }));
    assert.equal(t.table('w')?.flagged, true);
    assert.equal(t.table('other'), undefined);
  });
});
