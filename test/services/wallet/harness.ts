/**
 * What the wallet's process tests share: a deposit load with known sums, reading a table's changelog back, and the
 * threshold state the rule must have reached — the deposit stream replayed, partition by partition in offset order,
 * through the processor tester.
 */
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { type Balance, DepositSchema, type ThresholdState } from '../../../src/gen/herald/wallet/v1/wallet_pb.ts';
import type { Broker, BrokerRecord, PartitionInfo } from '../../../src/broker/port.ts';
import { Emitter } from '../../../src/runtime/emitter.ts';
import { TopologyTester } from '../../../src/processor/tester.ts';
import { groupTable } from '../../../src/processor/topology.ts';
import { configSchema } from '../../../services/wallet/config.ts';
import { thresholdRule } from '../../../services/wallet/index.ts';
import { thresholdGroup } from '../../../services/wallet/processors.ts';
import { balanceCodec, depositCodec, thresholdCodec, type WalletNames } from '../../../services/wallet/topics.ts';
import { waitFor } from '../../processor/harness.ts';

export const PARTITIONS = 4;
/**
 * Event time of the first deposit: two hours ago, on the minute. Not a fixed date: Kafka deletes a topic's records
 * once they are older than its retention (7 days by default) by their timestamps, and its check every 5 minutes
 * emptied the deposit topic in the middle of a test about one run in eight, while deposits dated 2026-01-01 were
 * still being read back. Not later either: Kafka refuses timestamps more than an hour ahead, and 60,000 deposits
 * 100 ms apart span 100 minutes.
 */
export const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 3_600_000;

/**
 * Deposit `i`: wallet, minor units (with cents) and event time, 100 ms apart. With 100 wallets, one deposit per
 * wallet every 10 s: about 4,800 units per 2-minute window, three times that for wallets 0 to 9 (they cross
 * 10,000; the others never do, so their windows stay in the state the test compares).
 */
export function depositOf(i: number, wallets: number) {
  const n = i % wallets;
  const units = ((i % 7) + 1) * 100 * (n < 10 ? 3 : 1);
  return { wallet: `wallet-${n}`, minor: BigInt(units * 100 + (i % 100)), timestamp: T0 + i * 100 };
}

/** Appends deposits `from` ≤ i < `to` in batches; adds each acknowledged one to `sums`. */
export async function produceDeposits(
  broker: Broker,
  names: WalletNames,
  range: { from: number; to: number; wallets: number; batch?: number },
  sums: Map<string, bigint>,
): Promise<void> {
  const producer = broker.producer();
  const emitter = new Emitter(producer, names.deposit, depositCodec);
  try {
    const step = range.batch ?? 500;
    for (let from = range.from; from < range.to; from += step) {
      const batch = [];
      for (let i = from; i < Math.min(range.to, from + step); i++) batch.push(depositOf(i, range.wallets));
      await emitter.emitMany(
        batch.map((d) => ({
          key: d.wallet,
          value: create(DepositSchema, { walletId: d.wallet, amount: d.minor }),
          timestamp: d.timestamp,
        })),
      );
      for (const d of batch) sums.set(d.wallet, (sums.get(d.wallet) ?? 0n) + d.minor);
    }
  } finally {
    await producer.close();
  }
}

/** Every committed record of `topic`, partition by partition in offset order, once no transaction is open on it. */
export async function readTopic(broker: Broker, topic: string): Promise<BrokerRecord[]> {
  let ends: PartitionInfo[] = [];
  await waitFor(`no open transaction on ${topic}`, async () => {
    ends = await broker.admin.endOffsets(topic, { isolation: 'read_committed' });
    const high = await broker.admin.endOffsets(topic, { isolation: 'read_uncommitted' });
    return ends.every((p, i) => p.latest === high[i].latest);
  });
  const out: BrokerRecord[] = [];
  for (const p of ends) {
    for (let offset = p.earliest; offset < p.latest; ) {
      const records = await broker.admin.read({ topic, partition: p.partition, offset }, 5_000);
      if (records.length === 0) break;
      out.push(...records.filter((r) => r.offset < p.latest));
      offset = records[records.length - 1].offset + 1;
    }
  }
  return out;
}

/** The latest value per key of a table's changelog. */
async function table<V>(broker: Broker, group: string, decode: (b: Buffer) => V): Promise<Map<string, V>> {
  const out = new Map<string, V>();
  for (const r of await readTopic(broker, groupTable(group))) {
    if (r.key === null) continue;
    if (r.value === null) out.delete(r.key.toString());
    else out.set(r.key.toString(), decode(r.value));
  }
  return out;
}

export const balances = (broker: Broker, names: WalletNames) =>
  table<Balance>(broker, names.balance, (b) => balanceCodec.decode(b));

/** Balances equal the acknowledged sums, exactly, for every wallet and no other. */
export async function assertBalances(broker: Broker, names: WalletNames, sums: Map<string, bigint>): Promise<void> {
  const actual = new Map([...(await balances(broker, names))].map(([k, v]) => [k, v.balance]));
  assert.deepEqual(new Map([...actual].sort()), new Map([...sums].sort()));
}

const plain = (s: ThresholdState | undefined) => ({
  above: s?.aboveThreshold ?? false,
  windows: (s?.windows ?? []).map((w) => [w.startMs, w.endMs, w.total]),
});

/**
 * The threshold table equals the rule applied once to each deposit of the stream, in order: a deposit applied twice
 * (or lost) would change a window's total. Returns the wallets flagged.
 */
export async function assertThresholds(broker: Broker, names: WalletNames): Promise<string[]> {
  const defaults = Object.fromEntries(Object.entries(configSchema).map(([k, f]) => [k, f.default])) as never;
  const tester = new TopologyTester(thresholdGroup(names, thresholdRule(defaults)), { partitions: PARTITIONS });
  for (const r of await readTopic(broker, names.deposit)) {
    await tester.send(names.deposit, r.key!.toString(), depositCodec.decode(r.value!), {
      timestamp: r.timestamp,
      partition: r.partition,
    });
  }
  const actual = await table<ThresholdState>(broker, names.threshold, (b) => thresholdCodec.decode(b));
  const expected = tester.tableEntries();
  assert.equal(actual.size, expected.size);
  for (const [wallet, state] of expected) assert.deepEqual(plain(actual.get(wallet)), plain(state), wallet);
  return [...expected].filter(([, s]) => s.aboveThreshold).map(([w]) => w);
}
