import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClassicGroup, type JoinRequest } from '../../../../src/broker/embedded/kafka-protocol/groups/classic-group.ts';
import { KafkaError } from '../../../../src/broker/embedded/kafka-protocol/wire/errors.ts';

function group(t: { after(fn: () => void): void }, initialRebalanceDelayMs = 0): ClassicGroup {
  const g = new ClassicGroup('g', { initialRebalanceDelayMs, logger: undefined, onEmpty: () => {} });
  t.after(() => g.shutdown());
  return g;
}

function request(overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    memberId: '',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    requireKnownMemberId: false,
    ...overrides,
  };
}

describe('classic group coordinator', () => {
  it('a member that does not rejoin within the rebalance timeout is dropped; the others go on', async (t) => {
    const g = group(t);
    const a = await g.join(request({ rebalanceTimeoutMs: 300 }));
    await g.sync(a.memberId, null, a.generationId, null, null, []);
    const bJoin = g.join(request({ rebalanceTimeoutMs: 300 }));
    assert.equal(g.state, 'PreparingRebalance');
    // a never rejoins: after 300 ms the generation completes with b alone.
    const b = await bJoin;
    assert.equal(b.errorCode, KafkaError.NONE);
    assert.deepEqual([...g.members.keys()], [b.memberId]);
    assert.equal(b.leader, b.memberId);
    assert.equal(g.heartbeat(a.memberId, null, a.generationId), KafkaError.UNKNOWN_MEMBER_ID);
  });

  it('the leader picks the protocol every member supports that most prefer; a member supporting none is refused', async (t) => {
    const g = group(t, 100);
    const proto = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.alloc(0) }));
    const joins = [
      g.join(request({ protocols: proto('cooperative-sticky', 'range') })),
      g.join(request({ protocols: proto('range', 'cooperative-sticky') })),
      g.join(request({ protocols: proto('range') })),
    ];
    const answers = await Promise.all(joins);
    assert.deepEqual(new Set(answers.map((a) => a.protocolName)), new Set(['range']));
    assert.equal(answers.filter((a) => a.members.length === 3).length, 1, 'only the leader gets the members');
    const odd = await g.join(request({ protocols: proto('roundrobin') }));
    assert.equal(odd.errorCode, KafkaError.INCONSISTENT_GROUP_PROTOCOL);
    const otherType = await g.join(request({ protocolType: 'connect' }));
    assert.equal(otherType.errorCode, KafkaError.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('commit rules: no generation only for an empty group; members of the current generation outside assignment', async (t) => {
    const g = group(t);
    assert.equal(g.commitError('', null, -1), KafkaError.NONE);
    const a = await g.join(request());
    assert.equal(g.state, 'CompletingRebalance');
    assert.equal(g.commitError(a.memberId, null, a.generationId), KafkaError.REBALANCE_IN_PROGRESS);
    await g.sync(a.memberId, null, a.generationId, null, null, [{ memberId: a.memberId, assignment: Buffer.from('x') }]);
    assert.equal(g.commitError(a.memberId, null, a.generationId), KafkaError.NONE);
    assert.equal(g.commitError(a.memberId, null, a.generationId + 1), KafkaError.ILLEGAL_GENERATION);
    assert.equal(g.commitError('stranger', null, a.generationId), KafkaError.UNKNOWN_MEMBER_ID);
    assert.equal(g.commitError('', null, -1), KafkaError.UNKNOWN_MEMBER_ID);
  });

  it('a follower waiting in SyncGroup gets its part when the leader syncs; a rejoin during it answers REBALANCE_IN_PROGRESS', async (t) => {
    const g = group(t, 50);
    const [a, b] = await Promise.all([g.join(request()), g.join(request())]);
    const leader = a.members.length > 0 ? a : b;
    const follower = leader === a ? b : a;
    const waiting = g.sync(follower.memberId, null, follower.generationId, 'consumer', null, []);
    const done = await g.sync(leader.memberId, null, leader.generationId, null, null, [
      { memberId: follower.memberId, assignment: Buffer.from('yours') },
      { memberId: leader.memberId, assignment: Buffer.from('mine') },
    ]);
    assert.equal(done.assignment.toString(), 'mine');
    assert.equal((await waiting).assignment.toString(), 'yours');
    assert.equal(g.state, 'Stable');
    // A member changing its subscription starts a new rebalance.
    const rejoin = g.join(request({ memberId: follower.memberId, protocols: [{ name: 'range', metadata: Buffer.from('new') }] }));
    assert.equal(g.heartbeat(leader.memberId, null, leader.generationId), KafkaError.REBALANCE_IN_PROGRESS);
    const leaderAgain = await g.join(request({ memberId: leader.memberId }));
    assert.equal((await rejoin).generationId, leaderAgain.generationId);
  });

  it('a static member rejoining under a new id replaces the old one, which is fenced', async (t) => {
    const g = group(t);
    const first = await g.join(request({ groupInstanceId: 'instance-1' }));
    await g.sync(first.memberId, 'instance-1', first.generationId, null, null, []);
    const second = await g.join(request({ groupInstanceId: 'instance-1' }));
    assert.notEqual(second.memberId, first.memberId);
    assert.equal(g.heartbeat(first.memberId, 'instance-1', first.generationId), KafkaError.UNKNOWN_MEMBER_ID);
    assert.equal(g.members.size, 1);
  });

  it('a member id handed out but never used expires; leaving as it is also fine', async (t) => {
    const g = group(t);
    const pending = await g.join(request({ requireKnownMemberId: true, sessionTimeoutMs: 100 }));
    assert.equal(pending.errorCode, KafkaError.MEMBER_ID_REQUIRED);
    assert.ok(g.active);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(g.active, false);
    const again = await g.join(request({ requireKnownMemberId: true }));
    assert.deepEqual(g.leave([{ memberId: again.memberId, groupInstanceId: null }]), [KafkaError.NONE]);
    assert.deepEqual(g.leave([{ memberId: again.memberId, groupInstanceId: null }]), [KafkaError.UNKNOWN_MEMBER_ID]);
    assert.equal(g.active, false);
  });

  it('shutdown answers every waiting member', async (t) => {
    const g = group(t, 10_000);
    const waiting = g.join(request());
    g.shutdown();
    assert.equal((await waiting).errorCode, KafkaError.NOT_COORDINATOR);
  });
});
