import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Broker } from '../../src/broker/port.ts';
import { isHeraldError } from '../../src/errors.ts';
import { startTestBroker } from '../../src/testing/broker.ts';
import { creates, uses } from '../../src/topology/declaration.ts';
import { provisionTopology } from '../../src/topology/provision.ts';
import { checkTopology, topologyProblems } from '../../src/topology/validate.ts';

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
