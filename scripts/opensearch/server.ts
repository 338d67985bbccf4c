import { chownSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstError } from '../kafka/jars.ts';
import { requireJava, requireMaven } from '../kafka/java.ts';
import { withLock } from '../kafka/lock.ts';
import { isAlive, launchDetached, readPidFile, runTool, terminate } from '../kafka/process.ts';
import { ensureSystemUser } from '../server-user.ts';
import {
  LOCAL_OPENSEARCH_URL,
  OPENSEARCH_HOST,
  OPENSEARCH_HTTP_PORT,
  OPENSEARCH_TRANSPORT_PORT,
  type OpenSearchLayout,
  openSearchLayout,
  POM_PATH,
} from './layout.ts';

/** How a start ended: `started` launched it now; `already-running` found it answering and left it alone. */
export type OpenSearchStartOutcome = 'started' | 'already-running';

export interface OpenSearchInfo {
  readonly outcome: OpenSearchStartOutcome;
  readonly url: string;
  readonly version: string;
  readonly logFile: string;
  readonly elapsedMs: number;
}

/** A small heap: a test node holds a few thousand documents. */
export const JAVA_OPTS = '-Xms256m -Xmx512m';

/**
 * Node settings given on the command line (`-E`): one node that elects itself, bound to loopback only (which also
 * keeps OpenSearch in development mode, so production bootstrap checks such as vm.max_map_count do not apply).
 * The minimal distribution has no security plugin: plain HTTP, no users.
 */
export function nodeSettings(layout: OpenSearchLayout): string[] {
  const settings: Record<string, string> = {
    'cluster.name': 'herald-local',
    'node.name': 'herald-local-1',
    'discovery.type': 'single-node',
    'network.host': OPENSEARCH_HOST,
    'http.port': String(OPENSEARCH_HTTP_PORT),
    'transport.port': String(OPENSEARCH_TRANSPORT_PORT),
    'path.data': layout.dataDir,
    'path.logs': layout.logsDir,
    // Tests make and delete many small indices; no disk watermarks on a nearly full CI disk.
    'cluster.routing.allocation.disk.threshold_enabled': 'false',
    'action.auto_create_index': 'false',
  };
  return Object.entries(settings).map(([k, v]) => `-E${k}=${v}`);
}

/** Resolves with the cluster health status when the node answers within `timeoutMs`, else undefined. */
export async function health(url = LOCAL_OPENSEARCH_URL, timeoutMs = 2000): Promise<string | undefined> {
  try {
    const response = await fetch(`${url}/_cluster/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    return ((await response.json()) as { status?: string }).status;
  } catch {
    return undefined;
  }
}

/**
 * Fetches the distribution zip with Maven (once) and unpacks it into the node's folder (once per version).
 * @throws Error naming what is missing (Maven) or Maven's first error line.
 */
export async function ensureDistribution(layout: OpenSearchLayout, log: (line: string) => void): Promise<void> {
  if (existsSync(join(layout.home, 'bin', 'opensearch'))) return;
  if (!existsSync(layout.zipFile)) {
    const mvn = requireMaven();
    log(`Fetching OpenSearch ${layout.version} (minimal distribution, ~56 MB) with Maven ...`);
    mkdirSync(layout.cacheDir, { recursive: true });
    const scratch = join(layout.cacheDir, `opensearch-download-${process.pid}`);
    const run = await runTool(
      mvn,
      ['-B', '-q', '-f', POM_PATH, 'dependency:copy-dependencies', '-DincludeTypes=zip', `-DoutputDirectory=${scratch}`],
      layout.cacheDir,
    );
    const zip = existsSync(scratch) ? readdirSync(scratch).find((f) => f.endsWith('.zip')) : undefined;
    if (run.code !== 0 || zip === undefined) {
      rmSync(scratch, { recursive: true, force: true });
      throw new Error(`mvn could not fetch OpenSearch: ${firstError(run.output)}`);
    }
    renameSync(join(scratch, zip), layout.zipFile);
    rmSync(scratch, { recursive: true, force: true });
  }
  log(`Unpacking ${layout.zipFile} into ${layout.home}`);
  mkdirSync(layout.dir, { recursive: true });
  const partial = join(layout.dir, `unpack-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  const unzip = await runTool('unzip', ['-q', layout.zipFile, '-d', partial], layout.dir);
  if (unzip.code !== 0) throw new Error(`unzip failed (apt-get install unzip): ${unzip.output.trim()}`);
  rmSync(layout.home, { recursive: true, force: true });
  renameSync(join(partial, `opensearch-${layout.version}`), layout.home);
  rmSync(partial, { recursive: true, force: true });
}

/**
 * Starts the local OpenSearch node (fetching and unpacking the distribution first when needed) and resolves once
 * the cluster is green or yellow. Idempotent: a node already answering is left alone. Its data persists across
 * restarts (tests use indices of their own).
 * @throws Error with one line: what is missing, or which log to read.
 */
export async function startOpenSearch(
  layout: OpenSearchLayout = openSearchLayout(),
  log: (line: string) => void = () => {},
  timeoutMs = Number(process.env.HERALD_OPENSEARCH_START_TIMEOUT_MS) || 120_000,
): Promise<OpenSearchInfo> {
  const started = Date.now();
  const info = (outcome: OpenSearchStartOutcome): OpenSearchInfo => ({
    outcome,
    url: LOCAL_OPENSEARCH_URL,
    version: layout.version,
    logFile: layout.logFile,
    elapsedMs: Date.now() - started,
  });
  if (await health()) return info('already-running');
  return withLock(layout.lockFile, async () => {
    if (await health()) return info('already-running');
    const java = requireJava();
    await ensureDistribution(layout, log);
    for (const dir of [layout.dataDir, layout.logsDir]) mkdirSync(dir, { recursive: true });
    if (layout.osUser !== undefined) {
      const { uid, gid } = ensureSystemUser(layout.osUser);
      await runTool('chown', ['-R', `${uid}:${gid}`, layout.dir], layout.dir);
      chownSync(layout.dir, uid, gid);
    }
    const javaHome = join(java === 'java' ? await javaHomeOf() : join(java, '..', '..'));
    const command = [
      ...(layout.osUser === undefined ? [] : ['runuser', '-u', layout.osUser, '--']),
      'env',
      `OPENSEARCH_JAVA_OPTS=${JAVA_OPTS}`,
      `OPENSEARCH_JAVA_HOME=${javaHome}`,
      join(layout.home, 'bin', 'opensearch'),
      '-p',
      layout.pidFile,
      ...nodeSettings(layout),
    ];
    rmSync(layout.pidFile, { force: true });
    const launcher = launchDetached({
      command: command[0],
      args: command.slice(1),
      cwd: layout.dir,
      logFile: layout.logFile,
      pidFile: `${layout.pidFile}.launcher`,
    });
    log(`Started OpenSearch ${layout.version} (launcher pid ${launcher}); waiting for it to answer on ${LOCAL_OPENSEARCH_URL}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await health();
      if (status === 'green' || status === 'yellow') return info('started');
      if (!isAlive(launcher)) throw new Error(`OpenSearch exited while starting; see ${layout.logFile}`);
      if (Date.now() > deadline) {
        await terminate(launcher, 0);
        throw new Error(`OpenSearch did not answer within ${Math.round(timeoutMs / 1000)} s; see ${layout.logFile}`);
      }
      await sleep(500);
    }
  });
}

/** Stops the local node (SIGTERM, SIGKILL after 30 s). @returns whether it was running. */
export async function stopOpenSearch(layout: OpenSearchLayout = openSearchLayout()): Promise<boolean> {
  return withLock(layout.lockFile, async () => {
    const pids = [readPidFile(layout.pidFile), readPidFile(`${layout.pidFile}.launcher`)];
    let stopped = false;
    for (const pid of pids) {
      if (pid !== undefined && isAlive(pid)) stopped = (await terminate(pid, 30_000)) !== 'not-running' || stopped;
    }
    rmSync(`${layout.pidFile}.launcher`, { force: true });
    return stopped;
  });
}

/** The JDK home of the `java` on PATH (OpenSearch's launcher wants a home, not an executable). */
async function javaHomeOf(): Promise<string> {
  const run = await runTool('java', ['-XshowSettings:properties', '-version'], '/');
  const match = /java\.home = (\S+)/.exec(run.output);
  if (!match) throw new Error('could not tell the Java home of java (set JAVA_HOME)');
  return match[1];
}
