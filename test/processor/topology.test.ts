import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec, stringCodec } from '../../src/codec/index.ts';
import type { Codec } from '../../src/codec/codec.ts';
import { isHeraldError } from '../../src/errors.ts';
import { processorTopics } from '../../src/processor/topics.ts';
import { defineGroup, groupTable, topologyCodecs } from '../../src/processor/topology.ts';
import { topologyProblems } from '../../src/topology/validate.ts';

const num = jsonCodec<number>();

function problems(build: () => unknown): string[] {
  let details: string[] = [];
  assert.throws(build, (err) => {
    assert.ok(isHeraldError(err, 'HERALD_TOPOLOGY_INVALID'), String(err));
    assert.equal(err.retriable, false);
    details = err.details as string[];
    return true;
  });
  return details;
}

describe('defineGroup', () => {
  it('builds a topology with its table topic, inputs, outputs and tables', () => {
    const t = defineGroup('balance')
      .persist(num)
      .output('flags', stringCodec)
      .lookup(groupTable('limits'), num)
      .join('accounts-table', num)
      .input('deposits', num, (ctx, amount) => ctx.set((ctx.get() ?? 0) + (amount ?? 0)))
      .build();
    assert.equal(t.group, 'balance');
    assert.equal(t.tableTopic, 'balance-table');
    assert.deepEqual([...t.inputs.keys()], ['deposits']);
    assert.deepEqual([...t.outputs.keys()], ['flags']);
    assert.equal(t.tables.get('limits-table')?.mode, 'lookup');
    assert.equal(t.tables.get('accounts-table')?.mode, 'join');
  });

  it('names the codec of every topic it reads or writes', () => {
    const table = jsonCodec<number>();
    const out = jsonCodec<string>();
    const other = jsonCodec<boolean>();
    const topology = defineGroup('sums')
      .persist(table)
      .output('alerts', out)
      .lookup(groupTable('limits'), other)
      .input('deposits', stringCodec, () => {})
      .build();
    assert.deepEqual(new Map(topologyCodecs(topology as never)), new Map<string, Codec<unknown>>([
      ['deposits', stringCodec as Codec<unknown>],
      ['alerts', out as Codec<unknown>],
      ['limits-table', other as Codec<unknown>],
      ['sums-table', table as Codec<unknown>],
    ]));
  });

  it('lists every problem at once', () => {
    const missing = undefined as unknown as Codec<number>;
    const found = problems(() =>
      defineGroup('g')
        .persist(missing)
        .output('in', num)
        .output('g-table', num)
        .output('out', missing)
        .lookup('g-table', num)
        .lookup('t', missing)
        .input('in', num, () => {})
        .input('in', num, () => {})
        .input('bad topic!', missing, () => {})
        .build(),
    );
    for (const expected of [
      'the group table has no codec',
      'output in is also an input',
      "output g-table is this group's own table",
      'output out has no codec',
      "table g-table is this group's own table",
      'table t has no codec',
      'input in is declared twice',
      'input topic bad topic! is not a topic name',
      'input bad topic! has no codec',
    ]) {
      assert.ok(
        found.some((p) => p.startsWith(expected)),
        `missing problem "${expected}" in ${JSON.stringify(found)}`,
      );
    }
  });

  it('refuses a processor without inputs, an empty group, and two tables', () => {
    assert.ok(problems(() => defineGroup('g').build()).includes('a processor needs at least one input'));
    assert.ok(problems(() => defineGroup('').input('a', num, () => {}).build())[0].includes('group'));
    assert.throws(() => defineGroup('g').persist(num).persist(num), { code: 'HERALD_TOPOLOGY_INVALID' });
  });

  it('declares its topics for the platform: inputs, outputs and tables used; changelog and dead letters created', () => {
    const topology = defineGroup('balance')
      .persist(num)
      .output('flagged', num)
      .lookup(groupTable('limits'), num)
      .input('deposits', num, () => {})
      .input('withdrawals', num, () => {})
      .build();
    const declared = processorTopics(topology);
    assert.deepEqual(
      declared.map((d) => [d.role, d.name, d.spec?.partitions ?? d.like?.topic ?? 'used']),
      [
        ['input', 'deposits', 'used'],
        ['input', 'withdrawals', 'used'],
        ['output', 'flagged', 'used'],
        ['table', 'limits-table', 'used'],
        ['changelog', 'balance-table', 'deposits'],
        ['dead-letter', 'deposits.balance.dlq', 1],
        ['dead-letter', 'withdrawals.balance.dlq', 1],
      ],
    );
    assert.equal(declared.find((d) => d.role === 'changelog')?.like?.settings.compacted, true);
    assert.ok(declared.every((d) => d.owner === 'processor balance'));
    assert.deepEqual(topologyProblems(declared), []);
    const stateless = processorTopics(defineGroup('relay').input('deposits', num, () => {}).build());
    assert.ok(!stateless.some((d) => d.role === 'changelog'), 'no table, no changelog');
  });
});
