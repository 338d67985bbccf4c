import type { DeploymentSpec, NodeSpec } from './topology.ts';
import { quorumVoters } from './topology.ts';

/**
 * Settings every local node shares. Sized for a small shared dev machine: few request threads, a small cleaner
 * buffer, and internal topics with 10 partitions instead of 50 so the first consumer group or transaction does not
 * create hundreds of partition files.
 */
const COMMON_SETTINGS: Readonly<Record<string, string>> = {
  'process.roles': 'broker,controller',
  'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
  'controller.listener.names': 'CONTROLLER',
  'inter.broker.listener.name': 'PLAINTEXT',
  // Tests create their topics explicitly: a typo must fail, not silently create a topic.
  'auto.create.topics.enable': 'false',
  // Consumers in tests join one by one; waiting 3 s for more members would only slow every test down.
  'group.initial.rebalance.delay.ms': '0',
  // Kafka requires more than 1 MiB per cleaner thread; the 128 MiB default is wasted on test data.
  'log.cleaner.dedupe.buffer.size': String(2 * 1024 * 1024),
  'log.cleaner.threads': '1',
  'num.network.threads': '2',
  'num.io.threads': '2',
  'num.recovery.threads.per.data.dir': '1',
  'num.partitions': '1',
  'offsets.topic.num.partitions': '10',
  'transaction.state.log.num.partitions': '10',
  'share.coordinator.state.topic.num.partitions': '10',
};

/**
 * The server.properties entries of one node, in a stable order: identity and listeners first, then the common
 * settings, then the deployment's own (which win on conflict).
 */
export function serverProperties(spec: DeploymentSpec, node: NodeSpec, dataDir: string): Map<string, string> {
  const props = new Map<string, string>([
    ['node.id', String(node.id)],
    ['controller.quorum.voters', quorumVoters(spec)],
    ['listeners', `PLAINTEXT://${node.host}:${node.brokerPort},CONTROLLER://${node.host}:${node.controllerPort}`],
    ['advertised.listeners', `PLAINTEXT://${node.host}:${node.brokerPort}`],
    ['log.dirs', dataDir],
  ]);
  for (const [key, value] of Object.entries(COMMON_SETTINGS)) props.set(key, value);
  for (const [key, value] of Object.entries(spec.settings)) props.set(key, value);
  return props;
}

/** Escapes a value for java.util.Properties: backslashes, line breaks and a leading space would change it. */
function escapeValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('\r', '\\r').replace(/^ /, '\\ ');
}

/** Renders entries as a java.util.Properties file (`key=value` lines) under a comment header. */
export function renderProperties(props: ReadonlyMap<string, string>, header: string): string {
  const lines = [`# ${header}`];
  for (const [key, value] of props) lines.push(`${key}=${escapeValue(value)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * A log4j2 configuration printing to stdout, which the launcher sends to the node's log file. `level` is the root
 * level: INFO for brokers (their startup story is what a failed start needs), WARN for one-shot tools.
 */
export function log4j2Properties(level: 'INFO' | 'WARN'): string {
  return [
    'status = warn',
    'appender.out.type = Console',
    'appender.out.name = STDOUT',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d] %p %m (%c)%n',
    `rootLogger.level = ${level}`,
    'rootLogger.appenderRef.out.ref = STDOUT',
    // Per-request and per-partition state chatter; errors still come through.
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.state.name = state.change.logger',
    'logger.state.level = WARN',
    '',
  ].join('\n');
}
