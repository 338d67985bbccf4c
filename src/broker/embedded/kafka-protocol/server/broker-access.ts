import type { GroupMember, TopicSpec } from '../../../port.ts';
import type { ExternalGroups } from '../../admin.ts';
import type { GroupCoordinator } from '../../group-coordinator.ts';
import type { Notifier } from '../../notifier.ts';
import type { CommittedOffsets } from '../../offsets.ts';
import type { TopicRegistry } from '../../topics.ts';
import type { Writer } from '../../writer.ts';
import type { ClassicGroups } from '../groups/classic-groups.ts';
import { decodeAssignment } from '../groups/consumer-protocol.ts';
import { clusterIdOf, type NativeMember } from './context.ts';
import type { BrokerAccess } from './listener.ts';

/** The embedded broker's parts the listener uses; getters throw the broker's lifecycle error when not running. */
export interface EmbeddedParts {
  dataDir: string;
  topics(): TopicRegistry;
  writer(): Writer;
  offsets(): CommittedOffsets;
  notifier(): Notifier;
  coordinators(): Iterable<GroupCoordinator>;
  createTopic(spec: TopicSpec): Promise<void>;
  deleteTopic(name: string): Promise<void>;
}

/** The one node of the embedded broker, as Metadata names it. */
export const NODE_ID = 1;

function activeMembers(coordinators: Iterable<GroupCoordinator>, group: string): NativeMember[] {
  for (const coordinator of coordinators) {
    if (coordinator.group !== group) continue;
    return coordinator
      .members()
      .filter((m) => m.active)
      .map((m) => ({ memberId: m.memberId, clientId: m.clientId, topics: m.topics, assignment: m.assignment() }));
  }
  return [];
}

/** The listener's view of the embedded broker. */
export function brokerAccess(parts: EmbeddedParts): BrokerAccess {
  return {
    topics: parts.topics,
    writer: parts.writer,
    offsets: parts.offsets,
    notifier: parts.notifier,
    createTopic: parts.createTopic,
    deleteTopic: parts.deleteTopic,
    nativeGroupActive: (group) => activeMembers(parts.coordinators(), group).length > 0,
    nativeMembers: (group) => activeMembers(parts.coordinators(), group),
    nativeGroups: () => [...parts.coordinators()].filter((c) => c.members().some((m) => m.active)).map((c) => c.group),
    nodeId: NODE_ID,
    clusterId: clusterIdOf(parts.dataDir),
  };
}

/** Kafka-protocol groups as the broker's admin lists and describes them (next to Herald's own groups). */
export function externalGroups(groups: () => ClassicGroups | null): ExternalGroups {
  return {
    names: () => (groups()?.all() ?? []).filter((g) => g.active).map((g) => g.id),
    members(group: string): GroupMember[] {
      const classic = groups()?.get(group);
      if (classic === undefined || !classic.active) return [];
      return [...classic.members.values()].map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        assignment: (classic.protocolType === 'consumer' ? decodeAssignment(m.assignment) : null) ?? [],
      }));
    },
    active: (group) => groups()?.active(group) ?? false,
  };
}
