import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterMetadata, ExtendedGroupProtocolSubscription } from '@platformatic/kafka';
import { roundRobinBySubscription } from '../../../src/broker/kafka/assignor.ts';

function metadata(partitions: Record<string, number>): ClusterMetadata {
  const topics = new Map(
    Object.entries(partitions).map(([name, count]) => [
      name,
      { id: name, partitions: [], partitionsCount: count, lastUpdate: 0 },
    ]),
  );
  return { id: 'c', brokers: new Map(), controllerId: 1, topics, lastUpdate: 0 };
}

function members(subscriptions: Record<string, string[]>): Map<string, ExtendedGroupProtocolSubscription> {
  return new Map(
    Object.entries(subscriptions).map(([memberId, topics]) => [memberId, { memberId, version: 0, topics }]),
  );
}

/** memberId -> ["topic/partition", ...] */
function flat(result: ReturnType<typeof roundRobinBySubscription>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { memberId, assignments } of result) {
    out[memberId] = [...assignments.values()].flatMap(({ topic, partitions }) =>
      partitions.map((p) => `${topic}/${p}`),
    );
  }
  return out;
}

describe('kafka adapter: round-robin assignor', () => {
  it('deals partitions in topic/partition order to members in id order', () => {
    const result = roundRobinBySubscription(
      'm1',
      members({ m2: ['a', 'b'], m1: ['a', 'b'] }),
      new Set(['a', 'b']),
      metadata({ a: 3, b: 2 }),
    );
    assert.deepEqual(flat(result), { m1: ['a/0', 'a/2', 'b/1'], m2: ['a/1', 'b/0'] });
  });

  it("gives each member only partitions of topics it subscribed to, whatever the leader's subscription", () => {
    const result = roundRobinBySubscription(
      'a-member',
      members({ 'a-member': ['shared'], 'b-member': ['shared', 'own'] }),
      new Set(['shared']),
      metadata({ shared: 2, own: 2 }),
    );
    assert.deepEqual(flat(result), { 'a-member': ['shared/0'], 'b-member': ['own/0', 'own/1', 'shared/1'] });
  });

  it('gives a member subscribed to nothing known an empty assignment', () => {
    const result = roundRobinBySubscription('x', members({ x: ['t'], y: [] }), new Set(['t']), metadata({ t: 2 }));
    assert.deepEqual(flat(result), { x: ['t/0', 't/1'], y: [] });
  });
});
