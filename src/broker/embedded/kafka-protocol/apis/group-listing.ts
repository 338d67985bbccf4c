/**
 * ListGroups and DescribeGroups over every group the broker knows: Kafka-protocol groups (with their state and
 * members), groups of Herald's own consumers (shown as Stable consumer groups whose members carry their
 * subscriptions and assignments in Kafka's consumer-protocol format) and groups that only have committed offsets
 * (Empty).
 */
import { encodeAssignment, encodeSubscription } from '../groups/consumer-protocol.ts';
import type { ListenerContext } from '../server/context.ts';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';

interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

/** Every group the broker knows, by name. */
function allGroups(broker: ListenerContext): Map<string, ListedGroup> {
  const out = new Map<string, ListedGroup>();
  for (const group of broker.offsets().groups()) {
    out.set(group, { groupId: group, protocolType: '', groupState: 'Empty', groupType: 'classic' });
  }
  for (const group of broker.nativeGroups()) {
    out.set(group, { groupId: group, protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' });
  }
  for (const group of broker.groups.all()) {
    if (!group.active) continue;
    out.set(group.id, {
      groupId: group.id,
      protocolType: group.protocolType ?? '',
      groupState: group.state,
      groupType: 'classic',
    });
  }
  return out;
}

export const listGroupsApi = defineApi<
  { statesFilter: string[]; typesFilter: string[] },
  { throttleTimeMs: number; errorCode: number; groups: ListedGroup[] }
>({
  key: 16,
  name: 'ListGroups',
  min: 0,
  max: 5,
  request: message('3+', field('statesFilter', array('string'), '4+'), field('typesFilter', array('string'), '5+')),
  response: message(
    '3+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field(
      'groups',
      array([
        field('groupId', 'string', '0+'),
        field('protocolType', 'string', '0+'),
        field('groupState', 'string', '4+'),
        field('groupType', 'string', '5+'),
      ]),
      '0+',
    ),
  ),
  handle(request, { broker }) {
    const states = new Set(request.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(request.typesFilter.map((s) => s.toLowerCase()));
    const groups = [...allGroups(broker).values()].filter(
      (g) => (states.size === 0 || states.has(g.groupState.toLowerCase())) && (types.size === 0 || types.has('classic')),
    );
    return { throttleTimeMs: 0, errorCode: KafkaError.NONE, groups };
  },
});

interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedMember[];
  authorizedOperations: number;
}

function describe(broker: ListenerContext, groupId: string): DescribedGroup {
  const base = { errorCode: KafkaError.NONE, groupId, authorizedOperations: -2147483648 };
  const classic = broker.groups.get(groupId);
  if (classic !== undefined && classic.active) {
    return {
      ...base,
      groupState: classic.state,
      protocolType: classic.protocolType ?? '',
      protocolData: classic.protocolName ?? '',
      members: [...classic.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.protocols.find((p) => p.name === classic.protocolName)?.metadata ?? Buffer.alloc(0),
        memberAssignment: m.assignment,
      })),
    };
  }
  const native = broker.nativeMembers(groupId);
  if (native.length > 0) {
    return {
      ...base,
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'herald',
      members: native.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: null,
        clientId: m.clientId,
        clientHost: 'herald',
        memberMetadata: encodeSubscription(m.topics),
        memberAssignment: encodeAssignment(m.assignment),
      })),
    };
  }
  const hasOffsets = broker.offsets().ofGroup(groupId).size > 0;
  return { ...base, groupState: hasOffsets ? 'Empty' : 'Dead', protocolType: hasOffsets ? 'consumer' : '', protocolData: '', members: [] };
}

export const describeGroupsApi = defineApi<
  { groups: string[]; includeAuthorizedOperations: boolean },
  { throttleTimeMs: number; groups: DescribedGroup[] }
>({
  key: 15,
  name: 'DescribeGroups',
  min: 0,
  max: 5,
  request: message('5+', field('groups', array('string'), '0+'), field('includeAuthorizedOperations', 'bool', '3+')),
  response: message(
    '5+',
    field('throttleTimeMs', 'int32', '1+'),
    field(
      'groups',
      array([
        field('errorCode', 'int16', '0+'),
        field('groupId', 'string', '0+'),
        field('groupState', 'string', '0+'),
        field('protocolType', 'string', '0+'),
        field('protocolData', 'string', '0+'),
        field(
          'members',
          array([
            field('memberId', 'string', '0+'),
            field('groupInstanceId', 'string', '4+', { nullable: '4+' }),
            field('clientId', 'string', '0+'),
            field('clientHost', 'string', '0+'),
            field('memberMetadata', 'bytes', '0+'),
            field('memberAssignment', 'bytes', '0+'),
          ]),
          '0+',
        ),
        field('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
      ]),
      '0+',
    ),
  ),
  handle(request, { broker }) {
    return { throttleTimeMs: 0, groups: request.groups.map((id) => describe(broker, id)) };
  },
});

