import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KafkaSetupError } from './errors.ts';
import type { KafkaLayout } from './layout.ts';
import { commandLine, isAlive, launchDetached, readPidFile, runTool } from './process.ts';
import { log4j2Properties, renderProperties, serverProperties } from './properties.ts';
import type { DeploymentName, DeploymentSpec, NodeSpec } from './topology.ts';

/** One node's files: `<cacheDir>/run/<deployment>/node-<id>/`. */
export interface NodeFiles {
  readonly dir: string;
  readonly dataDir: string;
  readonly propertiesFile: string;
  readonly log4jFile: string;
  /** The broker's stdout/stderr: where to look when it does not come up. */
  readonly logFile: string;
  readonly pidFile: string;
}

/** The files of node `id` of `deployment` under `layout.runDir`. */
export function nodeFiles(layout: KafkaLayout, deployment: DeploymentName, id: number): NodeFiles {
  const dir = join(layout.runDir, deployment, `node-${id}`);
  return {
    dir,
    dataDir: join(dir, 'data'),
    propertiesFile: join(dir, 'server.properties'),
    log4jFile: join(dir, 'log4j2.properties'),
    logFile: join(dir, 'server.log'),
    pidFile: join(dir, 'kafka.pid'),
  };
}

/**
 * The pid of this node's broker if it is running: the pid file's process is alive and its command line names
 * this node's server.properties (so a recycled pid is never mistaken for, or signalled as, the broker).
 */
export function runningPid(files: NodeFiles): number | undefined {
  const pid = readPidFile(files.pidFile);
  if (pid === undefined || !isAlive(pid)) return undefined;
  const cmd = commandLine(pid);
  return cmd === undefined || cmd.includes(files.propertiesFile) ? pid : undefined;
}

/** Deletes the node's folder and writes fresh server.properties and log4j2.properties. */
export async function writeFreshNode(spec: DeploymentSpec, node: NodeSpec, files: NodeFiles): Promise<void> {
  await rm(files.dir, { recursive: true, force: true });
  await mkdir(files.dataDir, { recursive: true });
  const props = serverProperties(spec, node, files.dataDir);
  await writeFile(files.propertiesFile, renderProperties(props, `herald local Kafka: ${spec.name} node ${node.id}`));
  await writeFile(files.log4jFile, log4j2Properties('INFO'));
}

/** Whether the node has been formatted (it can be restarted with its data as it is). */
export function isFormatted(files: NodeFiles): boolean {
  return existsSync(join(files.dataDir, 'meta.properties'));
}

/**
 * Formats the node's KRaft storage with `kafka.tools.StorageTool format`, like `kafka-storage.sh format`. With the
 * static `controller.quorum.voters` in server.properties no `--initial-controllers` is needed.
 * @throws KafkaSetupError `KAFKA_FORMAT_FAILED` with the tool's error line.
 */
export async function formatNode(java: string, jarsDir: string, files: NodeFiles, clusterId: string): Promise<void> {
  const quiet = join(files.dir, 'tools-log4j2.properties');
  await writeFile(quiet, log4j2Properties('WARN'));
  const args = [
    '-Xmx256m',
    `-Dlog4j2.configurationFile=${quiet}`,
    '-cp',
    join(jarsDir, '*'),
    'kafka.tools.StorageTool',
    'format',
    '--cluster-id',
    clusterId,
    '--config',
    files.propertiesFile,
  ];
  const run = await runTool(java, args, files.dir);
  if (run.code !== 0) {
    const line = run.output.split('\n').find((l) => /Exception|Error|error/.test(l)) ?? run.output.trim();
    throw new KafkaSetupError('KAFKA_FORMAT_FAILED', `kafka storage format failed in ${files.dataDir}: ${line}`);
  }
}

/** JVM options for a broker: a fixed small heap, fail fast on OOM rather than limp on. */
export function brokerJvmOptions(node: NodeSpec, files: NodeFiles): string[] {
  return [
    `-Xmx${node.heapMb}m`,
    `-Xms${Math.min(node.heapMb, 128)}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${files.log4jFile}`,
    `-Dkafka.logs.dir=${files.dir}`,
  ];
}

/**
 * Starts the node's broker+controller JVM in the background with its existing config and data.
 * @returns the pid (also written to the pid file).
 */
export function launchNode(java: string, jarsDir: string, node: NodeSpec, files: NodeFiles): number {
  const args = [...brokerJvmOptions(node, files), '-cp', join(jarsDir, '*'), 'kafka.Kafka', files.propertiesFile];
  return launchDetached({ command: java, args, cwd: files.dir, logFile: files.logFile, pidFile: files.pidFile });
}

/** The last line of a broker log that names an error, trimmed to fit one line of output. */
export function lastErrorLine(logFile: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  const line = text
    .split('\n')
    .reverse()
    .find((l) => /\b(ERROR|FATAL)\b|Exception|Error:/.test(l));
  return line === undefined ? undefined : line.trim().slice(0, 300);
}
