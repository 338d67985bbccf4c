import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { createBroker } from '../../../src/broker/index.ts';
import { groupTable } from '../../../src/processor/topology.ts';
import { View } from '../../../src/processor/view.ts';
import { balanceCodec, walletNames } from '../../../services/wallet/topics.ts';
import { childReached, type JsonLinesChild, spawnJsonLinesChild } from '../../support/json-lines-child.ts';
import { kafkaSingle } from '../../support/kafka.ts';
import { logger, waitFor } from '../../processor/harness.ts';
import { assertBalances, depositOf, PARTITIONS, produceDeposits } from './harness.ts';

/**
 * Two balance instances on Kafka, each its own process (`wallet.role=balance`, own data dir), share the deposit
 * partitions; one is SIGKILLed while deposits arrive, its partitions and their tables move to the other, and no
 * balance is ever wrong: a view sampling the table all along only ever sees, per wallet, a sum of a prefix of its
 * deposits (never one counted twice or skipped), and at the end the sums of every acknowledged deposit.
 */
const DEPOSITS = 10_000;
const WALLETS = 100;

interface ChildEvent {
  event: 'started' | 'done' | 'error';
  message?: string;
}

it('two balance processes share the partitions; killing one moves them to the other, balances never wrong', { timeout: 600_000 }, async (t) => {
  const servers = await kafkaSingle(t);
  if (servers === undefined) return;
  const names = walletNames(`w${randomUUID().slice(0, 8)}.`);
  const broker = await createBroker({ kind: 'kafka', bootstrap: servers }, logger);
  await broker.start();
  t.after(() => broker.stop());
  await broker.admin.createTopic({ name: names.deposit, partitions: PARTITIONS });

  const children: JsonLinesChild<ChildEvent>[] = [];
  for (const instance of ['a', 'b']) {
    const dataDir = await mkdtemp(join(tmpdir(), `herald-wallet-${instance}-`));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const flags = {
      dataDir,
      'broker.url': `kafka://${servers.join(',')}`,
      'wallet.prefix': names.deposit.slice(0, -'deposit'.length),
      'wallet.role': 'balance',
      'wallet.partitions': String(PARTITIONS),
      'wallet.sessionTimeoutMs': '6000',
    };
    const child = spawnJsonLinesChild<ChildEvent>('test/services/wallet/processes-child.ts', [flags, [[names.balance, names.deposit]]], (fn) => t.after(fn));
    children.push(child);
    await waitFor(`instance ${instance} to start`, childReached(child, (e) => e.some((x) => x.event === 'started')), 120_000);
  }
  const [a] = children;
  const owners = async () => (await broker.admin.describeGroup(names.balance)).members.filter((m) => m.assignment.some((tp) => tp.topic === names.deposit));
  await waitFor('both instances to own partitions', async () => (await owners()).length === 2, 60_000);

  // Every sum a wallet's balance may show: a prefix of its deposits, in the order they are appended.
  const prefixSums = new Map<string, Set<bigint>>();
  const running = new Map<string, bigint>();
  for (let i = 0; i < DEPOSITS; i++) {
    const d = depositOf(i, WALLETS);
    const sum = (running.get(d.wallet) ?? 0n) + d.minor;
    running.set(d.wallet, sum);
    if (!prefixSums.has(d.wallet)) prefixSums.set(d.wallet, new Set());
    prefixSums.get(d.wallet)!.add(sum);
  }
  const view = new View({ broker, table: groupTable(names.balance), codec: balanceCodec, logger });
  await view.start();
  t.after(() => view.stop());
  let samples = 0;
  const wrong: string[] = [];
  const sampler = setInterval(() => {
    samples += 1;
    for (const [wallet, value] of view.entries()) {
      if (!prefixSums.get(wallet)?.has(value.balance)) wrong.push(`${wallet}: ${value.balance}`);
    }
  }, 50);
  t.after(() => clearInterval(sampler));

  const sums = new Map<string, bigint>();
  await produceDeposits(broker, names, { from: 0, to: DEPOSITS / 2, wallets: WALLETS, batch: 100 }, sums);
  const exited = new Promise((resolve) => a.process.once('exit', resolve));
  a.process.kill('SIGKILL');
  await exited;
  await produceDeposits(broker, names, { from: DEPOSITS / 2, to: DEPOSITS, wallets: WALLETS, batch: 100 }, sums);
  await waitFor('the survivor to own every partition', async () => {
    const members = await owners();
    return members.length === 1 && members[0].assignment.filter((tp) => tp.topic === names.deposit).length === PARTITIONS;
  }, 120_000);
  await waitFor('the survivor to catch up', async () => {
    const ends = await broker.admin.endOffsets(names.deposit);
    const info = await broker.admin.describeGroup(names.balance);
    return ends.every((p) => (info.offsets.find((o) => o.topic === names.deposit && o.partition === p.partition)?.committed ?? 0) >= p.latest);
  }, 120_000);
  await assertBalances(broker, names, sums);
  await waitFor('the view to catch up', () => view.caughtUp() && [...view.entries()].every(([w, v]) => v.balance === sums.get(w)), 60_000);
  clearInterval(sampler);
  assert.deepEqual(wrong.slice(0, 10), [], 'no balance seen that is not a prefix sum of its deposits');
  assert.ok(samples > 10, `the view was sampled (${samples})`);
});
