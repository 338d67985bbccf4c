import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Admin, ResponseError } from '@platformatic/kafka';
import { Groups } from '../../../src/broker/kafka/groups.ts';

/** UNSTABLE_OFFSET_COMMIT (88) for a partition, as the library throws it. */
const unstable = () => new ResponseError(9, 8, { '/groups/0/topics/0/partitions/0': [88, null] }, {});

/** An admin whose group `g` committed 7 on t/0, but whose stable lookup is refused `refusals` times in a row. */
function admin(refusals: number) {
  const asked: boolean[] = [];
  const fake = {
    describeGroups: async () => new Map([['g', { state: 'Empty', members: new Map() }]]),
    listConsumerGroupOffsets: async ({ requireStable }: { requireStable: boolean }) => {
      asked.push(requireStable);
      // A lookup of the whole group is not stable: partitions are then asked for by name.
      if (requireStable && asked.filter(Boolean).length <= refusals) throw unstable();
      return [{ groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 7n }] }] }];
    },
    listOffsets: async ({ topics }: { topics: { name: string; partitions: { timestamp: bigint }[] }[] }) =>
      topics.map((t) => ({ name: t.name, partitions: [{ partitionIndex: 0, offset: t.partitions[0].timestamp === -2n ? 0n : 10n }] })),
  };
  return { admin: fake as unknown as Admin, asked };
}

describe('kafka groups: committed offsets while a transaction is open', () => {
  it('reads them stable when the broker answers so', async () => {
    const { admin: a, asked } = admin(0);
    const info = await new Groups(a).describe('g');
    assert.deepEqual(info.offsets, [{ topic: 't', partition: 0, committed: 7, latest: 10, lag: 3 }]);
    assert.deepEqual(asked, [false, true]);
  });

  it('shows the offsets committed before an open transaction rather than failing (a hung or killed producer)', async () => {
    const { admin: a, asked } = admin(Number.POSITIVE_INFINITY);
    const info = await new Groups(a).describe('g');
    assert.equal(info.offsets[0].committed, 7);
    assert.deepEqual(asked, [false, true, true, true, true]);
  });
});
