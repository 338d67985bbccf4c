import { join } from 'node:path';
import type { DeploymentInfo } from './deployment.ts';
import { startDeployment, stopDeployment } from './deployment.ts';
import type { KafkaOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import { bootstrapServers, CLUSTER, SINGLE } from './topology.ts';

/**
 * Local Apache Kafka (real brokers from Maven Central jars) for tests and development, as functions. The npm
 * scripts kafka:up / kafka:cluster / kafka:down are thin wrappers over these.
 */

export type { DeploymentInfo, StartOutcome } from './deployment.ts';
export type { KafkaSetupErrorCode } from './errors.ts';
export { KAFKA_SETUP_ERROR_CODES, KafkaSetupError } from './errors.ts';
export { ensureJars } from './jars.ts';
export type { KafkaLayout } from './layout.ts';
export { defaultCacheDir, kafkaLayout } from './layout.ts';
export { killNode, nodePid, startNode, stopNode } from './node-control.ts';
export type { KafkaOptions } from './options.ts';
export type { ProbeResult } from './protocol.ts';
export { probeBroker } from './protocol.ts';
export type { DeploymentName } from './topology.ts';

/** Bootstrap servers of the single node: `['127.0.0.1:9092']`. */
export const SINGLE_BOOTSTRAP: readonly string[] = bootstrapServers(SINGLE);

/** Bootstrap servers of the 3-node cluster: `['127.0.0.1:19092', '127.0.0.1:29092', '127.0.0.1:31092']`. */
export const CLUSTER_BOOTSTRAP: readonly string[] = bootstrapServers(CLUSTER);

/**
 * Starts the single KRaft node on 127.0.0.1:9092 (controller 9093), fetching jars first if needed, and resolves
 * once it serves. Fresh data unless it is already running, in which case it is left alone.
 * @throws KafkaSetupError (see `KAFKA_SETUP_ERROR_CODES`) with a one-line message.
 */
export function startSingle(options?: KafkaOptions): Promise<DeploymentInfo> {
  return startDeployment(SINGLE, options);
}

/**
 * Starts the 3-node cluster (127.0.0.1:19092/29092/31092, each broker+controller, RF 3, min ISR 2) and resolves
 * once all three serve and see each other. Fresh data when none of its nodes runs; nodes that are down while
 * others run are restarted with their data.
 * @throws KafkaSetupError (see `KAFKA_SETUP_ERROR_CODES`) with a one-line message.
 */
export function startCluster(options?: KafkaOptions): Promise<DeploymentInfo> {
  return startDeployment(CLUSTER, options);
}

/** Stops the single node if it runs. @returns the ids of the nodes that were running (`[]` or `[1]`). */
export function stopSingle(options?: KafkaOptions): Promise<number[]> {
  return stopDeployment(SINGLE, options);
}

/** Stops every cluster node that runs. @returns the ids of the nodes that were running. */
export function stopCluster(options?: KafkaOptions): Promise<number[]> {
  return stopDeployment(CLUSTER, options);
}

/** Stops the single node and the cluster, whichever run. @returns the node ids that were running, per deployment. */
export async function stopAll(options?: KafkaOptions): Promise<{ single: number[]; cluster: number[] }> {
  const [single, cluster] = await Promise.all([stopSingle(options), stopCluster(options)]);
  return { single, cluster };
}

/**
 * The `-cp` value for running Kafka's own classes (e.g. `org.apache.kafka.tools.TopicCommand`) from the cached
 * jars: `<jarsDir>/*`. Call {@link ensureJars} first if the jars may not be there yet.
 */
export function kafkaClasspath(options?: KafkaOptions): string {
  return join(resolveOptions(options).layout.jarsDir, '*');
}
