/** JoinGroup, SyncGroup, Heartbeat and LeaveGroup: Kafka's classic group protocol (see `groups/classic-group.ts`). */
import type { ListenerContext } from '../server/context.ts';
import { KafkaError } from '../wire/errors.ts';
import { array, field, message } from '../wire/schema.ts';
import { defineApi } from './api.ts';

interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  reason: string | null;
}

interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

/** Refuses a Kafka client joining a group Herald's own consumers hold, with one log line. */
function nativeConflict(broker: ListenerContext, group: string, clientId: string): boolean {
  if (!broker.nativeGroupActive(group)) return false;
  broker.logger?.warn(
    { group, clientId },
    'kafka listener: a Kafka client asked to join a group that Herald consumers hold; refused (INCONSISTENT_GROUP_PROTOCOL)',
  );
  return true;
}

export const joinGroupApi = defineApi<JoinGroupRequest, JoinGroupResponse>({
  key: 11,
  name: 'JoinGroup',
  min: 0,
  max: 9,
  request: message(
    '6+',
    field('groupId', 'string', '0+'),
    field('sessionTimeoutMs', 'int32', '0+'),
    field('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '5+', { nullable: '5+' }),
    field('protocolType', 'string', '0+'),
    field('protocols', array([field('name', 'string', '0+'), field('metadata', 'bytes', '0+')]), '0+'),
    field('reason', 'string', '8+', { nullable: '8+' }),
  ),
  response: message(
    '6+',
    field('throttleTimeMs', 'int32', '2+'),
    field('errorCode', 'int16', '0+'),
    field('generationId', 'int32', '0+'),
    field('protocolType', 'string', '7+', { nullable: '7+' }),
    field('protocolName', 'string', '0+', { nullable: '7+' }),
    field('leader', 'string', '0+'),
    field('skipAssignment', 'bool', '9+'),
    field('memberId', 'string', '0+'),
    field(
      'members',
      array([
        field('memberId', 'string', '0+'),
        field('groupInstanceId', 'string', '5+', { nullable: '5+' }),
        field('metadata', 'bytes', '0+'),
      ]),
      '0+',
    ),
  ),
  async handle(request, { broker, version, clientId, clientHost }) {
    const fail = (errorCode: number): JoinGroupResponse => ({
      throttleTimeMs: 0,
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: version < 7 ? '' : null,
      leader: '',
      skipAssignment: false,
      memberId: request.memberId,
      members: [],
    });
    if (request.groupId === '') return fail(KafkaError.INVALID_GROUP_ID);
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = broker.options;
    if (request.sessionTimeoutMs < minSessionTimeoutMs || request.sessionTimeoutMs > maxSessionTimeoutMs) {
      return fail(KafkaError.INVALID_SESSION_TIMEOUT);
    }
    if (nativeConflict(broker, request.groupId, clientId)) return fail(KafkaError.INCONSISTENT_GROUP_PROTOCOL);
    const result = await broker.groups.getOrCreate(request.groupId).join({
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      clientId,
      clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs > 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
      requireKnownMemberId: version >= 4,
    });
    return {
      throttleTimeMs: 0,
      skipAssignment: false,
      ...result,
      // Before v7 the protocol name is not nullable.
      protocolName: version < 7 ? (result.protocolName ?? '') : result.protocolName,
    };
  },
});

interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const syncGroupApi = defineApi<SyncGroupRequest, SyncGroupResponse>({
  key: 14,
  name: 'SyncGroup',
  min: 0,
  max: 5,
  request: message(
    '4+',
    field('groupId', 'string', '0+'),
    field('generationId', 'int32', '0+'),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '3+', { nullable: '3+' }),
    field('protocolType', 'string', '5+', { nullable: '5+' }),
    field('protocolName', 'string', '5+', { nullable: '5+' }),
    field('assignments', array([field('memberId', 'string', '0+'), field('assignment', 'bytes', '0+')]), '0+'),
  ),
  response: message(
    '4+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field('protocolType', 'string', '5+', { nullable: '5+' }),
    field('protocolName', 'string', '5+', { nullable: '5+' }),
    field('assignment', 'bytes', '0+'),
  ),
  async handle(request, { broker }) {
    const group = broker.groups.get(request.groupId);
    if (group === undefined) {
      return {
        throttleTimeMs: 0,
        errorCode: KafkaError.UNKNOWN_MEMBER_ID,
        protocolType: null,
        protocolName: null,
        assignment: Buffer.alloc(0),
      };
    }
    const result = await group.sync(
      request.memberId,
      request.groupInstanceId,
      request.generationId,
      request.protocolType,
      request.protocolName,
      request.assignments,
    );
    return { throttleTimeMs: 0, ...result };
  },
});

interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export const heartbeatApi = defineApi<HeartbeatRequest, { throttleTimeMs: number; errorCode: number }>({
  key: 12,
  name: 'Heartbeat',
  min: 0,
  max: 4,
  request: message(
    '4+',
    field('groupId', 'string', '0+'),
    field('generationId', 'int32', '0+'),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '3+', { nullable: '3+' }),
  ),
  response: message('4+', field('throttleTimeMs', 'int32', '1+'), field('errorCode', 'int16', '0+')),
  handle(request, { broker }) {
    const group = broker.groups.get(request.groupId);
    const errorCode =
      group === undefined
        ? KafkaError.UNKNOWN_MEMBER_ID
        : group.heartbeat(request.memberId, request.groupInstanceId, request.generationId);
    return { throttleTimeMs: 0, errorCode };
  },
});

interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; reason: string | null }[];
}

interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export const leaveGroupApi = defineApi<LeaveGroupRequest, LeaveGroupResponse>({
  key: 13,
  name: 'LeaveGroup',
  min: 0,
  max: 5,
  request: message(
    '4+',
    field('groupId', 'string', '0+'),
    field('memberId', 'string', '0-2'),
    field(
      'members',
      array([
        field('memberId', 'string', '3+'),
        field('groupInstanceId', 'string', '3+', { nullable: '3+' }),
        field('reason', 'string', '5+', { nullable: '5+' }),
      ]),
      '3+',
    ),
  ),
  response: message(
    '4+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field(
      'members',
      array([
        field('memberId', 'string', '3+'),
        field('groupInstanceId', 'string', '3+', { nullable: '3+' }),
        field('errorCode', 'int16', '3+'),
      ]),
      '3+',
    ),
  ),
  handle(request, { broker, version }) {
    const identities =
      version < 3 ? [{ memberId: request.memberId, groupInstanceId: null }] : request.members.map((m) => ({ ...m }));
    const group = broker.groups.get(request.groupId);
    const codes = group === undefined ? identities.map(() => KafkaError.UNKNOWN_MEMBER_ID) : group.leave(identities);
    const members = identities.map((m, i) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: codes[i] }));
    // Before v3 the one member's outcome is the request's; from v3 on, each member has its own.
    return { throttleTimeMs: 0, errorCode: version < 3 ? codes[0] : KafkaError.NONE, members };
  },
});
