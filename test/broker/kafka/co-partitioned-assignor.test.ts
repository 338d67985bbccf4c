import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterMetadata, ExtendedGroupProtocolSubscription } from '@platformatic/kafka';
import { coPartitionedBySubscription } from '../../../src/broker/kafka/co-partitioned-assignor.ts';

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

describe('kafka adapter: co-partitioned assignor', () => {
  it('gives partition p of every subscribed topic to one member, members in id order', () => {
    const result = coPartitionedBySubscription(
      'm1',
      members({ m2: ['in', 'table'], m1: ['in', 'table'] }),
      new Set(['in', 'table']),
      metadata({ in: 3, table: 3 }),
    );
    const flat = Object.fromEntries(
      result.map(({ memberId, assignments }) => [
        memberId,
        [...assignments.values()].map(({ topic, partitions }) => `${topic}:${partitions.join(',')}`).sort(),
      ]),
    );
    assert.deepEqual(flat, { m1: ['in:0,2', 'table:0,2'], m2: ['in:1', 'table:1'] });
  });
});
