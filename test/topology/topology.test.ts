import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Broker } from '../../src/broker/port.ts';
import { isHeraldError } from '../../src/errors.ts';
import { startTestBroker } from '../../src/testing/broker.ts';
import { creates, createsLike, uses } from '../../src/topology/declaration.ts';
import { provisionTopology } from '../../src/topology/provision.ts';
import { checkTopology, resolveLike, topologyProblems } from '../../src/topology/validate.ts';

async function embedded(t: TestContext): Promise<Broker> {
  const broker = await startTestBroker();
  t.after(() => broker.stop());
  return broker;
}

describe('topology: validation', () => {
  it('accepts parts that agree on what they create and parts that only use', () => {
    assert.deepEqual(
      topologyProblems([
        creates('svc', 'input', { name: 'orders', partitions: 3 }),
        creates('other', 'input', { name: 'orders', partitions: 3 }),
        uses('router r, group g', 'input', 'orders'),
        uses('router r, group g', 'output', 'elsewhere'),
      ]),
      [],
    );
  });

  it('names every bad name, bad spec and disagreement at once', () => {
    const problems = topologyProblems([
      uses('a', 'input', 'not a name'),
      creates('b', 'dead-letter', { name: 'x.dlq', partitions: 0 }),
      creates('c', 'input', { name: 'orders', partitions: 3 }),
      creates('d', 'input', { name: 'orders', partitions: 6 }),
      creates('e', 'internal', { name: 'ids', partitions: 1, compacted: true }),
      creates('f', 'internal', { name: 'ids', partitions: 1 }),
    ]);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0], /"not a name" \(input of a\) is not a valid topic name/);
    assert.match(problems[1], /x\.dlq \(dead-letter of b\): partitions must be/);
    assert.match(problems[2], /orders is created as input of c and as input of d with different partitions \(3, 6\)/);
    assert.match(problems[3], /ids .* different compaction/);
    assert.throws(
      () => checkTopology([creates('c', 'input', { name: 'orders', partitions: 3 }), creates('d', 'input', { name: 'orders', partitions: 6 })]),
      (err) => isHeraldError(err, 'HERALD_CONFIG_INVALID') && Array.isArray(err.details),
    );
  });
});

describe('topology: topics partitioned like another', () => {
  it('takes the partition count of the declaration that creates the model, through chains', () => {
    const resolved = resolveLike([
      createsLike('p', 'changelog', 'in', { name: 'p-table', compacted: true }),
      createsLike('q', 'changelog', 'p-table', { name: 'q-table', compacted: true }),
      creates('svc', 'input', { name: 'in', partitions: 6 }),
      createsLike('r', 'changelog', 'elsewhere', { name: 'r-table', compacted: true }),
    ]);
    assert.deepEqual(
      resolved.map((d) => [d.name, d.spec?.partitions, d.like?.topic]),
      [
        ['p-table', 6, undefined],
        ['q-table', 6, undefined],
        ['in', 6, undefined],
        ['r-table', undefined, 'elsewhere'],
      ],
    );
    assert.equal(resolved[0].spec?.compacted, true);
  });

  it('names disagreements with a like topic, and bad names and settings', () => {
    const problems = topologyProblems([
      creates('svc', 'input', { name: 'in', partitions: 6 }),
      creates('other', 'changelog', { name: 'p-table', partitions: 3, compacted: true }),
      createsLike('p', 'changelog', 'in', { name: 'p-table', compacted: true }),
      createsLike('q', 'changelog', 'x', { name: 'q-table' }),
      createsLike('r', 'changelog', 'y', { name: 'q-table' }),
      createsLike('s', 'changelog', 'not a name', { name: 's-table' }),
      createsLike('t', 'changelog', 'x', { name: 't-table', retentionMs: 0 }),
      createsLike('u', 'changelog', 'x', { name: 'q-table', compacted: true }),
    ]);
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems[0], /p-table is created as changelog of other and as changelog of p with different partitions \(3, 6\)/);
    assert.match(problems[1], /q-table .* different partitions \(like x, like y\)/);
    assert.match(problems[2], /s-table \(changelog of s\) is partitioned like "not a name", which is not a valid topic name/);
    assert.match(problems[3], /t-table \(changelog of t\): retentionMs must be/);
    assert.match(problems[4], /q-table .* different compaction/);
  });

  it('creates one with the count of the model on the broker, and refuses a model nobody has', async (t) => {
    const broker = await embedded(t);
    await broker.admin.createTopic({ name: 'in', partitions: 4 });
    const report = await provisionTopology(broker.admin, [
      uses('p', 'input', 'in'),
      createsLike('p', 'changelog', 'in', { name: 'p-table', compacted: true }),
    ]);
    assert.deepEqual(report.ensured, ['p-table']);
    const table = await broker.admin.describeTopic('p-table');
    assert.deepEqual([table.partitions.length, table.compacted], [4, true]);
    await assert.rejects(
      provisionTopology(broker.admin, [createsLike('q', 'changelog', 'nowhere', { name: 'q-table' })]),
      (err) => isHeraldError(err, 'HERALD_CONFIG_INVALID') && /q-table .* partitioned like nowhere, which does not exist/.test(err.message),
    );
    assert.equal((await broker.admin.listTopics()).length, 2);
  });
});

describe('topology: provisioning', () => {
  it('creates what is declared and missing, leaves what exists, reports used topics that are missing', async (t) => {
    const broker = await embedded(t);
    await broker.admin.createTopic({ name: 'existing', partitions: 5 });
    const declarations = [
      creates('svc', 'input', { name: 'existing', partitions: 2 }),
      creates('svc', 'internal', { name: 'ids', partitions: 1, compacted: true }),
      creates('other', 'internal', { name: 'ids', partitions: 1, compacted: true }),
      uses('router r, group g', 'input', 'ids'),
      uses('router r, group g', 'output', 'nowhere'),
    ];
    const report = await provisionTopology(broker.admin, declarations);
    assert.deepEqual(report.ensured, ['existing', 'ids']);
    assert.deepEqual(
      report.missing.map((d) => d.name),
      ['nowhere'],
    );
    assert.equal((await broker.admin.describeTopic('existing')).partitions.length, 5, 'an existing topic is kept');
    const ids = await broker.admin.describeTopic('ids');
    assert.deepEqual([ids.partitions.length, ids.compacted], [1, true]);
    const again = await provisionTopology(broker.admin, declarations, { lookUpUsed: false });
    assert.deepEqual(again.missing, []);
    assert.equal((await broker.admin.listTopics()).length, 2, 'running it again creates nothing');
  });

  it('creates nothing when the declarations are invalid', async (t) => {
    const broker = await embedded(t);
    await assert.rejects(
      provisionTopology(broker.admin, [
        creates('a', 'input', { name: 'first', partitions: 1 }),
        creates('b', 'input', { name: 'second', partitions: 1 }),
        creates('c', 'input', { name: 'second', partitions: 2 }),
      ]),
      (err) => isHeraldError(err, 'HERALD_CONFIG_INVALID'),
    );
    assert.deepEqual(await broker.admin.listTopics(), []);
  });
});
