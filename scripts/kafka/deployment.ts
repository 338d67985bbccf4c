import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomClusterId } from './cluster-id.ts';
import { ensureJars } from './jars.ts';
import { requireJava } from './java.ts';
import { withLock } from './lock.ts';
import type { NodeFiles } from './node.ts';
import { formatNode, isFormatted, launchNode, nodeFiles, runningPid, writeFreshNode } from './node.ts';
import type { KafkaOptions, ResolvedOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import { requireFreePorts } from './ports.ts';
import { terminate } from './process.ts';
import { probeBroker } from './protocol.ts';
import type { StartingNode } from './readiness.ts';
import { waitUntilServing } from './readiness.ts';
import type { DeploymentName, DeploymentSpec, NodeSpec } from './topology.ts';
import { bootstrapServers } from './topology.ts';

/**
 * How a start ended: `started` fresh (new data dirs, new cluster id); `resumed` some of our nodes were down and
 * were restarted with their data; `already-running` all our nodes were up; `external` brokers not started by
 * these scripts answer on every bootstrap address, and are used as they are.
 */
export type StartOutcome = 'started' | 'resumed' | 'already-running' | 'external';

export interface DeploymentInfo {
  readonly name: DeploymentName;
  readonly kafkaVersion: string;
  readonly outcome: StartOutcome;
  /** `host:port` per node, for clients' bootstrap servers. */
  readonly bootstrapServers: string[];
  readonly nodes: readonly { readonly id: number; readonly pid: number | undefined; readonly logFile: string }[];
  readonly elapsedMs: number;
}

/** The lock that serialises starts, stops and node operations of one deployment. */
export function deploymentLock(o: ResolvedOptions, name: DeploymentName): string {
  return join(o.layout.runDir, `${name}.lock`);
}

/**
 * Brings a deployment up and resolves once every node serves. When none of its nodes is running, the node folders
 * are wiped and formatted anew (fresh data on every up); nodes that are down while others run are restarted with
 * their data. Idempotent: a running deployment is left alone.
 * @throws KafkaSetupError `KAFKA_JAVA_MISSING`, `KAFKA_MAVEN_MISSING`, `KAFKA_PROVISION_FAILED`, `KAFKA_PORT_TAKEN`,
 *   `KAFKA_FORMAT_FAILED`, `KAFKA_NODE_EXITED`, `KAFKA_START_TIMEOUT`; nodes it launched are killed first.
 */
export async function startDeployment(spec: DeploymentSpec, options?: KafkaOptions): Promise<DeploymentInfo> {
  const o = resolveOptions(options);
  const startedAt = Date.now();
  return withLock(deploymentLock(o, spec.name), async () => {
    const files = spec.nodes.map((n) => nodeFiles(o.layout, spec.name, n.id));
    const down = spec.nodes.filter((_, i) => runningPid(files[i]) === undefined);
    let outcome: StartOutcome;
    if (down.length === 0) {
      // Running is not yet serving (e.g. a start that another process gave up on): check, cheaply when they answer.
      const starting = spec.nodes.map((node, i) => ({ node, files: files[i], pid: runningPid(files[i]) ?? 0 }));
      await waitUntilServing(starting, 1, o.startTimeoutMs);
      outcome = 'already-running';
    } else if (down.length < spec.nodes.length && down.every((n) => isFormatted(files[spec.nodes.indexOf(n)]))) {
      await launchAndWait(o, spec, down, files, false);
      outcome = 'resumed';
    } else if (await allAnswer(spec.nodes)) {
      outcome = 'external';
    } else {
      await stopNodes(files, o.stopTimeoutMs); // a partial deployment without data cannot be resumed: start over
      await launchAndWait(o, spec, spec.nodes, files, true);
      outcome = 'started';
    }
    return {
      name: spec.name,
      kafkaVersion: o.layout.version,
      outcome,
      bootstrapServers: bootstrapServers(spec),
      nodes: spec.nodes.map((n, i) => ({ id: n.id, pid: runningPid(files[i]), logFile: files[i].logFile })),
      elapsedMs: Date.now() - startedAt,
    };
  });
}

/**
 * Launches `nodes` (all of them fresh when `fresh`, else with their existing data) and waits until they serve.
 * Exported for node-control.ts, which restarts one node; callers hold the deployment lock.
 */
export async function launchAndWait(
  o: ResolvedOptions,
  spec: DeploymentSpec,
  nodes: readonly NodeSpec[],
  allFiles: readonly NodeFiles[],
  fresh: boolean,
): Promise<void> {
  await requireFreePorts(nodes);
  const java = requireJava();
  const jarsDir = await ensureJars(o.layout, o.log);
  const files = nodes.map((n) => allFiles[spec.nodes.indexOf(n)]);
  if (fresh) {
    const clusterId = randomClusterId();
    o.log(`Formatting ${nodes.length} KRaft node(s), cluster id ${clusterId}`);
    await Promise.all(nodes.map((n, i) => writeFreshNode(spec, n, files[i])));
    await Promise.all(files.map((f) => formatNode(java, jarsDir, f, clusterId)));
  }
  const starting: StartingNode[] = nodes.map((node, i) => ({
    node,
    files: files[i],
    pid: launchNode(java, jarsDir, node, files[i]),
  }));
  o.log(`Started ${starting.map((s) => `node ${s.node.id} (pid ${s.pid})`).join(', ')}; waiting for them to serve`);
  // A fresh deployment must see every broker; a restarted node only needs to rejoin (others may be down on purpose).
  const expectedBrokers = fresh ? spec.nodes.length : 1;
  try {
    await waitUntilServing(starting, expectedBrokers, o.startTimeoutMs);
  } catch (err) {
    await Promise.all(starting.map((s) => terminate(s.pid, 0)));
    await Promise.all(starting.map((s) => rm(s.files.pidFile, { force: true })));
    throw err;
  }
}

async function allAnswer(nodes: readonly NodeSpec[]): Promise<boolean> {
  const answers = await Promise.all(nodes.map((n) => probeBroker(n.host, n.brokerPort, 1000)));
  return answers.every((a) => a !== undefined);
}

/**
 * Stops every running node of a deployment: SIGTERM to all at once, SIGKILL to those still alive after the grace.
 * @returns the ids of the nodes that were running.
 */
export async function stopDeployment(spec: DeploymentSpec, options?: KafkaOptions): Promise<number[]> {
  const o = resolveOptions(options);
  return withLock(deploymentLock(o, spec.name), async () => {
    const files = spec.nodes.map((n) => nodeFiles(o.layout, spec.name, n.id));
    const running = spec.nodes.filter((_, i) => runningPid(files[i]) !== undefined).map((n) => n.id);
    await stopNodes(files, o.stopTimeoutMs);
    return running;
  });
}

/** Stops whichever of these nodes run (in parallel) and removes their pid files; data and logs stay. */
export async function stopNodes(files: readonly NodeFiles[], graceMs: number): Promise<void> {
  await Promise.all(
    files.map(async (f) => {
      const pid = runningPid(f);
      if (pid !== undefined) await terminate(pid, graceMs);
      await rm(f.pidFile, { force: true });
    }),
  );
}
