import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignCoPartitioned } from '../../src/broker/co-partitioned.ts';

const tp = (topic: string, partition: number) => ({ topic, partition });
const show = (result: Map<{ id: string }, { topic: string; partition: number }[]>) =>
  [...result].map(([m, ps]) => [m.id, ps.map((p) => `${p.topic}${p.partition}`).join(' ')]);

describe('co-partitioned assignor', () => {
  it('gives partition p of every topic to the same member', () => {
    const members = [
      { id: 'a', topics: ['in', 'table'] },
      { id: 'b', topics: ['in', 'table'] },
      { id: 'c', topics: ['in', 'table'] },
    ];
    const partitions = ['table', 'in'].flatMap((t) => [3, 0, 1, 2].map((p) => tp(t, p)));
    assert.deepEqual(show(assignCoPartitioned(members, partitions)), [
      ['a', 'in0 table0 in3 table3'],
      ['b', 'in1 table1'],
      ['c', 'in2 table2'],
    ]);
  });

  it('hands a topic the chosen member does not read to the next member that does', () => {
    const members = [
      { id: 'a', topics: ['x'] },
      { id: 'b', topics: ['x', 'y'] },
    ];
    const partitions = [tp('x', 0), tp('x', 1), tp('y', 0), tp('y', 1), tp('z', 0)];
    assert.deepEqual(show(assignCoPartitioned(members, partitions)), [
      ['a', 'x0'],
      ['b', 'y0 x1 y1'],
    ]);
  });

  it('assigns nothing without members and gives a lone member everything', () => {
    assert.equal(assignCoPartitioned([], [tp('x', 0)]).size, 0);
    const lone = { id: 'a', topics: ['x', 'y'] };
    assert.equal(assignCoPartitioned([lone], [tp('x', 0), tp('y', 0), tp('x', 1)]).get(lone)?.length, 3);
  });
});
