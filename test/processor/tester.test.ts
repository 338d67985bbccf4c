import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec } from '../../src/codec/index.ts';
import { HeraldError } from '../../src/errors.ts';
import { changelogRecords, SOURCE_HEADER } from '../../src/processor/core.ts';
import { TopologyTester } from '../../src/processor/tester.ts';
import { defineGroup } from '../../src/processor/topology.ts';

interface Account {
  balance: number;
  deposits: number;
}
interface Deposit {
  amount: number;
}
const account = jsonCodec<Account>({ type: 'object', required: ['balance', 'deposits'] });
const deposit = jsonCodec<Deposit>({ type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } });
const alert = jsonCodec<{ balance: number }>();

function wallet(options: { failFirst?: number; failAlways?: (d: Deposit) => boolean } = {}) {
  let failures = options.failFirst ?? 0;
  return defineGroup('wallet')
    .persist(account)
    .output('alerts', alert)
    .lookup('limits-table', jsonCodec<number>())
    .input('deposits', deposit, (ctx, d) => {
      const before = ctx.get() ?? { balance: 0, deposits: 0 };
      // Mutates what it read, then may throw: the table must not see it.
      before.balance += d?.amount ?? 0;
      before.deposits += 1;
      ctx.set(before);
      const limit = ctx.lookup('limits-table', ctx.key) ?? Number.POSITIVE_INFINITY;
      if (before.balance > limit) ctx.emit('alerts', ctx.key, { balance: before.balance });
      if (failures > 0) {
        failures -= 1;
        throw new Error('transient');
      }
      if (d !== null && options.failAlways?.(d)) throw new HeraldError('HERALD_VALIDATION_FAILED', 'refused');
    })
    .build();
}

describe('TopologyTester', () => {
  it('folds records into the table, emits, looks up, writes the changelog with sources', async () => {
    const t = new TopologyTester(wallet());
    t.setTable('limits-table', 'w1', 100);
    await t.send('deposits', 'w1', { amount: 60 });
    await t.send('deposits', 'w1', { amount: 50 });
    await t.send('deposits', 'w2', { amount: 500 });
    assert.deepEqual(t.table('w1'), { balance: 110, deposits: 2 });
    assert.deepEqual(t.table('w2'), { balance: 500, deposits: 1 });
    assert.deepEqual(
      t.emitted('alerts').map((r) => [r.key, r.value]),
      [['w1', { balance: 110 }]],
    );
    const changelog = t.changelog();
    assert.equal(changelog.length, 3);
    assert.equal(changelog[1].headers[SOURCE_HEADER], 'deposits/0/1');
    assert.equal(t.tableEntries().size, 2);
  });

  it("a batch's changelog names its input positions once, on its last record", () => {
    const changes = new Map(['a', 'b', 'c'].map((key) => [key, { key, bytes: key === 'b' ? null : Buffer.from(key) }]));
    const result = {
      partition: 2,
      changes,
      emitted: [],
      positions: [
        { topic: 'deposits', partition: 2, offset: 8 },
        { topic: 'flags', partition: 2, offset: 4 },
      ],
      processed: 5,
      deadLettered: 0,
      late: 0,
    };
    const records = changelogRecords('g-table', result);
    assert.deepEqual(
      records.map((r) => [r.topic, r.partition, r.key?.toString(), r.value?.toString() ?? null, r.headers]),
      [
        ['g-table', 2, 'a', 'a', undefined],
        ['g-table', 2, 'b', null, undefined],
        ['g-table', 2, 'c', 'c', { [SOURCE_HEADER]: 'deposits/2/7,flags/2/3' }],
      ],
    );
    assert.deepEqual(changelogRecords('g-table', { ...result, changes: new Map() }), []);
  });

  it('a throwing callback leaves the table as it was; the retry sees the old value', async () => {
    const t = new TopologyTester(wallet({ failFirst: 2 }));
    const result = await t.send('deposits', 'w1', { amount: 10 });
    assert.equal(result.failedAttempts, 2);
    assert.equal(result.deadLettered, false);
    assert.deepEqual(t.table('w1'), { balance: 10, deposits: 1 });
    assert.equal(t.changelog().length, 1, 'one changelog record, not one per attempt');
  });

  it('dead-letters after the retry limit, and at once for errors that are not retriable', async () => {
    const t = new TopologyTester(wallet({ failAlways: (d) => d.amount < 0 }), { retry: { maxAttempts: 3 } });
    await t.send('deposits', 'w1', { amount: 5 });
    const bad = await t.send('deposits', 'w1', { amount: -1 });
    assert.equal(bad.deadLettered, true);
    assert.equal(bad.failedAttempts, 1, 'not retriable: one attempt');
    assert.deepEqual(t.table('w1'), { balance: 5, deposits: 1 });
    const undecodable = await t.sendRaw('deposits', 'w1', Buffer.from('{nope'));
    assert.equal(undecodable.deadLettered, true);
    const [first, second] = t.deadLetters('deposits');
    assert.equal(first.error.code, 'HERALD_VALIDATION_FAILED');
    assert.equal(first.origin.offset, 1);
    assert.equal(first.group, 'wallet');
    assert.equal(second.error.code, 'HERALD_DECODE_FAILED');
    assert.equal(t.deadLetters().length, 2);

    const flaky = new TopologyTester(wallet({ failFirst: 10 }), { retry: { maxAttempts: 3 } });
    const gaveUp = await flaky.send('deposits', 'w1', { amount: 5 });
    assert.equal(gaveUp.deadLettered, true);
    assert.equal(gaveUp.failedAttempts, 3);
    assert.equal(flaky.deadLetters()[0].attempts, 3);
    assert.equal(flaky.table('w1'), undefined);
  });

  it('emits carry the input trace and correlation id', async () => {
    const t = new TopologyTester(wallet());
    t.setTable('limits-table', 'w', 0);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await t.send('deposits', 'w', { amount: 1 }, { headers: { traceparent, 'herald.correlation-id': 'c-1' } });
    const [alerted] = t.emitted('alerts');
    assert.equal(alerted.headers.traceparent, traceparent);
    assert.equal(alerted.headers['herald.correlation-id'], 'c-1');
  });

  it('refuses undeclared topics and tables at run time (dead letter with the topology error)', async () => {
    const t = new TopologyTester(
      defineGroup('g')
        .persist(jsonCodec<number>())
        .input('in', jsonCodec<number>(), (ctx) => {
          (ctx as unknown as { emit(t: string, k: string, v: number): void }).emit('elsewhere', 'k', 1);
        })
        .build(),
    );
    const r = await t.send('in', 'k', 1);
    assert.equal(r.deadLettered, true);
    assert.equal(t.deadLetters()[0].error.code, 'HERALD_TOPOLOGY_INVALID');
    assert.throws(() => t.emitted('nope' as never), { code: 'HERALD_INVALID_ARGUMENT' });
    await assert.rejects(t.send('nope', 'k', 1), { code: 'HERALD_INVALID_ARGUMENT' });
  });

  it('deletes, spreads keys over partitions, and refuses table access without a key', async () => {
    const t = new TopologyTester(
      defineGroup('g')
        .persist(jsonCodec<number>())
        .input('in', jsonCodec<number | null>(), (ctx, v) => (v === 0 ? ctx.delete() : ctx.set(v ?? -1)))
        .build(),
      { partitions: 4 },
    );
    for (let i = 0; i < 20; i++) await t.send('in', `k${i}`, i + 1);
    assert.equal(t.tableEntries().size, 20);
    await t.send('in', 'k3', 0);
    assert.equal(t.table('k3'), undefined);
    assert.equal(new Set(t.changelog().map((r) => r.partition)).size, 4);
    const keyless = await t.send('in', null, 5);
    assert.equal(keyless.deadLettered, true);
    assert.equal(t.deadLetters()[0].error.code, 'HERALD_INVALID_ARGUMENT');
  });

  it('async callbacks are awaited, one record at a time', async () => {
    const seen: number[] = [];
    const t = new TopologyTester(
      defineGroup('g')
        .persist(jsonCodec<number[]>())
        .input('in', jsonCodec<number>(), async (ctx, v) => {
          await new Promise((resolve) => setTimeout(resolve, v === 1 ? 20 : 0));
          seen.push(v as number);
          ctx.set([...(ctx.get() ?? []), v as number]);
        })
        .build(),
    );
    await Promise.all([t.send('in', 'k', 1), t.send('in', 'k', 2)]);
    assert.deepEqual(t.table('k'), [1, 2]);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(seen.length, 2);
  });
});
