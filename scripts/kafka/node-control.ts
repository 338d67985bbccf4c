import { rm } from 'node:fs/promises';
import { deploymentLock, launchAndWait, stopNodes } from './deployment.ts';
import { KafkaSetupError } from './errors.ts';
import { withLock } from './lock.ts';
import { isFormatted, nodeFiles, runningPid } from './node.ts';
import type { KafkaOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import { terminate } from './process.ts';
import type { DeploymentName } from './topology.ts';
import { deploymentSpec, nodeById } from './topology.ts';

/**
 * Single-node operations for fault tests: crash a node, stop it cleanly, bring it back with its data. They act on
 * the 3-node cluster unless `deployment` says 'single'.
 */

/**
 * The pid of node `id` if its broker is running, else undefined. Synchronous and cheap (pid file + /proc).
 * @throws KafkaSetupError `KAFKA_BAD_ARGUMENT` for a node the deployment does not have.
 */
export function nodePid(
  id: number,
  deployment: DeploymentName = 'cluster',
  options?: KafkaOptions,
): number | undefined {
  const spec = deploymentSpec(deployment);
  nodeById(spec, id);
  return runningPid(nodeFiles(resolveOptions(options).layout, deployment, id));
}

/**
 * SIGKILLs node `id` (a crash: no controlled shutdown, no flush) and resolves once the process is gone.
 * Its data stays, so {@link startNode} can bring it back.
 * @returns the pid that was killed.
 * @throws KafkaSetupError `KAFKA_NOT_RUNNING` when the node is not running.
 */
export async function killNode(
  id: number,
  deployment: DeploymentName = 'cluster',
  options?: KafkaOptions,
): Promise<number> {
  return signalNode(id, deployment, options, 0);
}

/**
 * Stops node `id` gracefully (SIGTERM: controlled shutdown moves its leaderships away first), SIGKILL after
 * `stopTimeoutMs`. Resolves once the process is gone; data stays.
 * @returns the pid that was stopped.
 * @throws KafkaSetupError `KAFKA_NOT_RUNNING` when the node is not running.
 */
export async function stopNode(
  id: number,
  deployment: DeploymentName = 'cluster',
  options?: KafkaOptions,
): Promise<number> {
  return signalNode(id, deployment, options, resolveOptions(options).stopTimeoutMs);
}

async function signalNode(
  id: number,
  deployment: DeploymentName,
  options: KafkaOptions | undefined,
  graceMs: number,
): Promise<number> {
  const o = resolveOptions(options);
  const spec = deploymentSpec(deployment);
  nodeById(spec, id);
  return withLock(deploymentLock(o, deployment), async () => {
    const files = nodeFiles(o.layout, deployment, id);
    const pid = runningPid(files);
    if (pid === undefined) throw new KafkaSetupError('KAFKA_NOT_RUNNING', `${deployment} node ${id} is not running`);
    await terminate(pid, graceMs);
    await rm(files.pidFile, { force: true });
    return pid;
  });
}

/**
 * Restarts node `id` with its existing data and resolves once it serves again (answers on its broker port and
 * is back among the live brokers). A running node is left alone.
 * @returns the node's pid.
 * @throws KafkaSetupError `KAFKA_NOT_RUNNING` when the deployment was never started (no data to restart from),
 *   or the start errors of {@link startDeployment}.
 */
export async function startNode(
  id: number,
  deployment: DeploymentName = 'cluster',
  options?: KafkaOptions,
): Promise<number> {
  const o = resolveOptions(options);
  const spec = deploymentSpec(deployment);
  const node = nodeById(spec, id);
  return withLock(deploymentLock(o, deployment), async () => {
    const allFiles = spec.nodes.map((n) => nodeFiles(o.layout, deployment, n.id));
    const files = allFiles[spec.nodes.indexOf(node)];
    const running = runningPid(files);
    if (running !== undefined) return running;
    if (!isFormatted(files)) {
      const command = deployment === 'cluster' ? 'kafka:cluster' : 'kafka:up';
      throw new KafkaSetupError('KAFKA_NOT_RUNNING', `${deployment} node ${id} has no data: run npm run ${command}`);
    }
    await stopNodes([files], 0); // clears a stale pid file
    await launchAndWait(o, spec, [node], allFiles, false);
    return runningPid(files) ?? 0;
  });
}
