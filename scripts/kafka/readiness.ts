import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaSetupError } from './errors.ts';
import type { NodeFiles } from './node.ts';
import { lastErrorLine } from './node.ts';
import { isAlive } from './process.ts';
import { probeBroker } from './protocol.ts';
import type { NodeSpec } from './topology.ts';

/** A node whose JVM has been launched and is not yet known to serve. */
export interface StartingNode {
  readonly node: NodeSpec;
  readonly files: NodeFiles;
  readonly pid: number;
}

/**
 * Waits until every node answers ApiVersions and Metadata on its broker port, lists itself among the live
 * brokers, and sees at least `expectedBrokers` of them (the whole cluster, or fewer while a node is down).
 * @throws KafkaSetupError `KAFKA_NODE_EXITED` as soon as a JVM dies (with its last error line and log path), or
 *   `KAFKA_START_TIMEOUT` naming the log of the first node still silent after `timeoutMs`.
 */
export async function waitUntilServing(
  nodes: readonly StartingNode[],
  expectedBrokers: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...nodes];
  for (;;) {
    for (const starting of pending) {
      if (!isAlive(starting.pid)) throw exited(starting);
    }
    const served = await Promise.all(pending.map((s) => serves(s, expectedBrokers)));
    pending = pending.filter((_, i) => !served[i]);
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      const { node, files } = pending[0];
      throw new KafkaSetupError(
        'KAFKA_START_TIMEOUT',
        `Kafka node ${node.id} did not answer on ${node.host}:${node.brokerPort} within ` +
          `${(timeoutMs / 1000).toFixed(timeoutMs < 10_000 ? 1 : 0)} s; see ${files.logFile}`,
      );
    }
    await sleep(250);
  }
}

async function serves({ node, files }: StartingNode, expectedBrokers: number): Promise<boolean> {
  const answer = await probeBroker(node.host, node.brokerPort, 1500);
  if (!answer) return false;
  // Another Kafka-speaking process can take the port between the free-port check and the JVM's bind (Herald's
  // embedded broker listens on 127.0.0.1:9092 by default): the JVM then fails to bind, and the answer is not ours.
  const ours = clusterIdOf(files);
  if (ours !== undefined && answer.clusterId !== ours) {
    throw new KafkaSetupError(
      'KAFKA_PORT_TAKEN',
      `${node.host}:${node.brokerPort} (node ${node.id} broker) answers as cluster ${answer.clusterId}, not this ` +
        `node's ${ours}: another process took the port while the node started; see ${files.logFile}`,
    );
  }
  return answer.brokers.length >= expectedBrokers && answer.brokers.some((b) => b.nodeId === node.id);
}

/** The cluster id the node was formatted with (its `meta.properties`), if readable. */
function clusterIdOf(files: NodeFiles): string | undefined {
  try {
    return /^cluster\.id=(.+)$/m.exec(readFileSync(join(files.dataDir, 'meta.properties'), 'utf8'))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

function exited({ node, files }: StartingNode): KafkaSetupError {
  const cause = lastErrorLine(files.logFile);
  return new KafkaSetupError(
    'KAFKA_NODE_EXITED',
    `Kafka node ${node.id} exited while starting${cause ? ` (${cause})` : ''}; see ${files.logFile}`,
  );
}
