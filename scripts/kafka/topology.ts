import { KafkaSetupError } from './errors.ts';

/**
 * The two local deployments: their nodes, ports, heaps and the broker settings that differ between them.
 * Every node is a KRaft combined broker+controller; the controller listener sits on broker port + 1.
 */

export type DeploymentName = 'single' | 'cluster';

export interface NodeSpec {
  /** Kafka `node.id`; also the node's number in killNode(n)/startNode(n). */
  readonly id: number;
  readonly host: string;
  /** The PLAINTEXT listener clients bootstrap from. */
  readonly brokerPort: number;
  /** The CONTROLLER listener of the KRaft quorum. */
  readonly controllerPort: number;
  /** JVM -Xmx in MiB. */
  readonly heapMb: number;
}

export interface DeploymentSpec {
  readonly name: DeploymentName;
  readonly nodes: readonly NodeSpec[];
  /** Settings specific to this deployment, layered over the common ones in properties.ts. */
  readonly settings: Readonly<Record<string, string>>;
}

const HOST = '127.0.0.1';

function node(id: number, brokerPort: number, heapMb: number): NodeSpec {
  return { id, host: HOST, brokerPort, controllerPort: brokerPort + 1, heapMb };
}

/** One node on 127.0.0.1:9092 (controller 9093): every internal topic at replication factor 1. */
export const SINGLE: DeploymentSpec = {
  name: 'single',
  nodes: [node(1, 9092, 512)],
  settings: {
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
  },
};

/**
 * Three nodes on 127.0.0.1:19092/29092/31092 (controllers 19093/29093/31093) forming a 3-voter quorum. RF 3 with
 * min ISR 2 and no unclean election: losing one node keeps acks=all writes working and loses nothing. Every port is
 * below Linux's ephemeral range (32768–60999), where an outgoing connection may hold it when a node starts.
 */
export const CLUSTER: DeploymentSpec = {
  name: 'cluster',
  nodes: [node(1, 19092, 384), node(2, 29092, 384), node(3, 31092, 384)],
  settings: {
    'default.replication.factor': '3',
    'min.insync.replicas': '2',
    'unclean.leader.election.enable': 'false',
    'offsets.topic.replication.factor': '3',
    'transaction.state.log.replication.factor': '3',
    'transaction.state.log.min.isr': '2',
    'share.coordinator.state.topic.replication.factor': '3',
    'share.coordinator.state.topic.min.isr': '2',
  },
};

/** The spec of a deployment by name. */
export function deploymentSpec(name: DeploymentName): DeploymentSpec {
  return name === 'single' ? SINGLE : CLUSTER;
}

/** `host:port` of every broker listener, in node order: what clients pass as bootstrap servers. */
export function bootstrapServers(spec: DeploymentSpec): string[] {
  return spec.nodes.map((n) => `${n.host}:${n.brokerPort}`);
}

/** Kafka's static `controller.quorum.voters` value: `id@host:controllerPort,...`. */
export function quorumVoters(spec: DeploymentSpec): string {
  return spec.nodes.map((n) => `${n.id}@${n.host}:${n.controllerPort}`).join(',');
}

/**
 * The cluster node with this number.
 * @throws KafkaSetupError `KAFKA_BAD_ARGUMENT` when `spec` has no such node.
 */
export function nodeById(spec: DeploymentSpec, id: number): NodeSpec {
  const found = spec.nodes.find((n) => n.id === id);
  if (!found) {
    const ids = spec.nodes.map((n) => n.id).join(', ');
    throw new KafkaSetupError('KAFKA_BAD_ARGUMENT', `the ${spec.name} deployment has no node ${id} (nodes: ${ids})`);
  }
  return found;
}
