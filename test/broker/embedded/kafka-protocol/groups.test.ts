import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAssignment, encodeAssignment, encodeSubscription } from '../../../../src/broker/embedded/kafka-protocol/groups/consumer-protocol.ts';
import { KafkaError } from '../../../../src/broker/embedded/kafka-protocol/wire/errors.ts';
import { collector, rejectsWithCode, uniqueName, waitFor } from '../helpers.ts';
import { listening } from './helpers.ts';
import { ApiKey, type RawClient } from './raw-client.ts';

function joinBody(group: string, memberId: string, topics: string[], sessionTimeoutMs = 10_000) {
  return {
    groupId: group,
    sessionTimeoutMs,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription(topics) }],
    reason: null,
  };
}

/** Joins as a new member the v4+ way (an id first, then the real join) and returns the join answer. */
async function join(client: RawClient, group: string, topics: string[]) {
  const first = await client.request(ApiKey.JoinGroup, 7, joinBody(group, '', topics));
  assert.equal(first.errorCode, KafkaError.MEMBER_ID_REQUIRED);
  return client.request(ApiKey.JoinGroup, 7, joinBody(group, first.memberId, topics));
}

describe('kafka listener: consumer groups', () => {
  it('join, sync, heartbeat, commit, fetch offsets and leave; the group shows in Herald and Kafka listings', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('gt');
    const group = uniqueName('g');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    const client = await connect();
    const joined = await join(client, group, [topic]);
    assert.equal(joined.errorCode, KafkaError.NONE);
    assert.equal(joined.leader, joined.memberId);
    assert.equal(joined.members.length, 1);
    const { memberId, generationId } = joined;
    const assignment = encodeAssignment([
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    const synced = await client.request(ApiKey.SyncGroup, 5, {
      groupId: group,
      generationId,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId, assignment }],
    });
    assert.equal(synced.errorCode, KafkaError.NONE);
    assert.deepEqual(decodeAssignment(synced.assignment), [
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    const beat = await client.request(ApiKey.Heartbeat, 4, { groupId: group, generationId, memberId, groupInstanceId: null });
    assert.equal(beat.errorCode, KafkaError.NONE);
    const stale = await client.request(ApiKey.Heartbeat, 4, { groupId: group, generationId: generationId - 1, memberId, groupInstanceId: null });
    assert.equal(stale.errorCode, KafkaError.ILLEGAL_GENERATION);

    const commit = await client.request(ApiKey.OffsetCommit, 8, {
      groupId: group,
      generationIdOrMemberEpoch: generationId,
      memberId,
      groupInstanceId: null,
      topics: [{ name: topic, partitions: [{ partitionIndex: 1, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    assert.equal(commit.topics[0].partitions[0].errorCode, KafkaError.NONE);
    const offsets = await client.request(ApiKey.OffsetFetch, 8, {
      groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: [0, 1] }] }],
      requireStable: false,
    });
    assert.deepEqual(
      offsets.groups[0].topics[0].partitions.map((p: { committedOffset: number }) => p.committedOffset),
      [-1, 7],
    );

    // The same group through Herald's admin and through Kafka's listings.
    const described = await broker.admin.describeGroup(group);
    assert.deepEqual(described.members.map((m) => [m.memberId, m.assignment.length]), [[memberId, 2]]);
    assert.deepEqual(described.offsets.map((o) => [o.partition, o.committed]), [[0, null], [1, 7]]);
    assert.ok((await broker.admin.listGroups()).includes(group));
    const listed = await client.request(ApiKey.ListGroups, 4, { statesFilter: ['stable'], typesFilter: [] });
    assert.ok(listed.groups.some((g: { groupId: string }) => g.groupId === group));
    const kafkaView = await client.request(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
    assert.equal(kafkaView.groups[0].groupState, 'Stable');
    assert.equal(kafkaView.groups[0].members[0].memberId, memberId);

    const left = await client.request(ApiKey.LeaveGroup, 5, { groupId: group, members: [{ memberId, groupInstanceId: null, reason: null }] });
    assert.deepEqual([left.errorCode, left.members[0].errorCode], [KafkaError.NONE, KafkaError.NONE]);
    const after = await broker.admin.describeGroup(group);
    assert.deepEqual(after.members, []);
    const empty = await client.request(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
    assert.equal(empty.groups[0].groupState, 'Empty');
  });

  it('a second member makes the first rejoin; a silent member is dropped after its session timeout', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('gt');
    const group = uniqueName('g');
    await broker.admin.createTopic({ name: topic, partitions: 2 });
    const [a, b] = [await connect(), await connect()];
    const first = await join(a, group, [topic]);
    await a.request(ApiKey.SyncGroup, 3, { groupId: group, generationId: first.generationId, memberId: first.memberId, groupInstanceId: null, assignments: [] });
    const second = b.request(ApiKey.JoinGroup, 3, joinBody(group, '', [topic], 1_500));
    const beat = await a.request(ApiKey.Heartbeat, 3, { groupId: group, generationId: first.generationId, memberId: first.memberId, groupInstanceId: null });
    assert.equal(beat.errorCode, KafkaError.REBALANCE_IN_PROGRESS);
    const rejoined = await a.request(ApiKey.JoinGroup, 3, joinBody(group, first.memberId, [topic]));
    const joinedB = await second;
    assert.equal(rejoined.generationId, first.generationId + 1);
    assert.equal(joinedB.generationId, rejoined.generationId);
    assert.equal(rejoined.members.length, 2, 'the leader sees both members');
    // b never heartbeats: after its 1.5 s session the group rebalances without it.
    let code = KafkaError.NONE as number;
    const deadline = Date.now() + 20_000;
    while (code !== KafkaError.REBALANCE_IN_PROGRESS && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const answer = await a.request(ApiKey.Heartbeat, 3, { groupId: group, generationId: rejoined.generationId, memberId: first.memberId, groupInstanceId: null });
      code = answer.errorCode;
    }
    assert.equal(code, KafkaError.REBALANCE_IN_PROGRESS);
    const alone = await a.request(ApiKey.JoinGroup, 3, joinBody(group, first.memberId, [topic]));
    assert.equal(alone.members.length, 1);
  });

  it('a group Herald consumers hold refuses Kafka clients, and the other way round', async (t) => {
    const { broker, connect, logs } = await listening(t);
    const topic = uniqueName('gt');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const herald = uniqueName('herald-group');
    const consumer = broker.consumer({ group: herald, topics: [topic] });
    t.after(() => consumer.close());
    await consumer.start(collector());
    const client = await connect();
    const refused = await client.request(ApiKey.JoinGroup, 7, joinBody(herald, '', [topic]));
    assert.equal(refused.errorCode, KafkaError.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal(logs.matching('Herald consumers hold').length, 1);
    const commit = await client.request(ApiKey.OffsetCommit, 8, {
      groupId: herald,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    assert.equal(commit.topics[0].partitions[0].errorCode, KafkaError.UNKNOWN_MEMBER_ID);
    // Kafka tools see Herald's own group and its member.
    const described = await client.request(ApiKey.DescribeGroups, 5, { groups: [herald], includeAuthorizedOperations: false });
    const [member] = described.groups[0].members;
    assert.equal(described.groups[0].groupState, 'Stable');
    assert.deepEqual(decodeAssignment(member.memberAssignment), [{ topic, partition: 0 }]);

    const kafka = uniqueName('kafka-group');
    const joined = await join(client, kafka, [topic]);
    assert.equal(joined.errorCode, KafkaError.NONE);
    const intruder = broker.consumer({ group: kafka, topics: [topic] });
    t.after(() => intruder.close());
    await rejectsWithCode(() => intruder.start(collector()), 'HERALD_GROUP_IN_USE');
    assert.equal(logs.matching('Kafka clients hold').length, 1);
  });

  it('simple commits (no generation) are taken by a group without members', async (t) => {
    const { broker, connect } = await listening(t);
    const topic = uniqueName('gt');
    const group = uniqueName('g');
    await broker.admin.createTopic({ name: topic, partitions: 1 });
    const client = await connect();
    const commit = await client.request(ApiKey.OffsetCommit, 2, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1,
      topics: [
        { name: topic, partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: '' }] },
        { name: uniqueName('missing'), partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: '' }] },
      ],
    });
    assert.deepEqual(
      commit.topics.map((tp: { partitions: { errorCode: number }[] }) => tp.partitions[0].errorCode),
      [KafkaError.NONE, KafkaError.UNKNOWN_TOPIC_OR_PARTITION],
    );
    const fetched = await client.request(ApiKey.OffsetFetch, 3, { groupId: group, topics: null });
    assert.deepEqual(fetched.topics, [
      { name: topic, partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] },
    ]);
    // Herald's own consumers of the group start where Kafka committed.
    const got = collector();
    await broker.producer().send(Array.from({ length: 7 }, (_, i) => ({ topic, value: Buffer.from(String(i)) })));
    const consumer = broker.consumer({ group, topics: [topic] });
    t.after(() => consumer.close());
    await consumer.start(got);
    await waitFor(() => got.records.length === 2, 'records 5 and 6');
    assert.deepEqual(got.records.map((r) => r.offset), [5, 6]);
  });
});
