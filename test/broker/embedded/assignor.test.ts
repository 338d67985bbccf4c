import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignRoundRobin } from '../../../src/broker/embedded/assignor.ts';

const tp = (topic: string, partition: number) => ({ topic, partition });
const show = (result: Map<{ memberId: string }, { topic: string; partition: number }[]>) =>
  [...result].map(([m, ps]) => [m.memberId, ps.map((p) => `${p.topic}${p.partition}`).join(' ')]);

describe('round-robin assignor', () => {
  it('deals sorted partitions over members in order', () => {
    const members = [
      { memberId: 'a', topics: ['x', 'y'] },
      { memberId: 'b', topics: ['x', 'y'] },
    ];
    const partitions = [tp('y', 0), tp('x', 1), tp('x', 0), tp('x', 2)];
    assert.deepEqual(show(assignRoundRobin(members, partitions)), [
      ['a', 'x0 x2'],
      ['b', 'x1 y0'],
    ]);
  });

  it('skips members not subscribed to a topic and leaves unsubscribed topics unassigned', () => {
    const members = [
      { memberId: 'a', topics: ['x'] },
      { memberId: 'b', topics: ['y'] },
    ];
    const partitions = [tp('x', 0), tp('x', 1), tp('y', 0), tp('z', 0)];
    assert.deepEqual(show(assignRoundRobin(members, partitions)), [
      ['a', 'x0 x1'],
      ['b', 'y0'],
    ]);
  });

  it('gives every partition exactly one owner, and nothing without members', () => {
    const members = ['a', 'b', 'c'].map((memberId) => ({ memberId, topics: ['x'] }));
    const partitions = Array.from({ length: 10 }, (_, i) => tp('x', i));
    const owners = [...assignRoundRobin(members, partitions).values()].flat();
    assert.equal(owners.length, 10);
    assert.equal(new Set(owners).size, 10);
    assert.equal(assignRoundRobin([], partitions).size, 0);
  });
});
